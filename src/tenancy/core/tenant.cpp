#include "tenancy/tenant.hpp"

#include <sodium.h>

#include <array>

namespace tenancy {
namespace {

constexpr std::string_view kIdPrefix = "tn_";
constexpr std::size_t kIdHexDigits = 16;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsLabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

Result<TenantId> TenantId::Parse(std::string_view text) {
  bool ok = text.size() == kIdPrefix.size() + kIdHexDigits && text.starts_with(kIdPrefix);
  for (std::size_t i = kIdPrefix.size(); ok && i < text.size(); ++i) ok = IsLowerHex(text[i]);
  if (!ok) return Fail(Errc::kInvalidArgument, "malformed tenant id");
  return TenantId(std::string(text));
}

TenantId TenantId::Generate() {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run: nothing is safe
  std::array<unsigned char, kIdHexDigits / 2> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::array<char, kIdHexDigits + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  return TenantId(std::string(kIdPrefix) + hex.data());
}

std::string_view ToString(IsolationModel m) noexcept {
  switch (m) {
    case IsolationModel::kShared: return "shared";
    case IsolationModel::kDatabase: return "database";
    case IsolationModel::kDedicated: return "dedicated";
  }
  return "unknown";
}

std::string_view ToString(TenantState s) noexcept {
  switch (s) {
    case TenantState::kProvisioning: return "provisioning";
    case TenantState::kActive: return "active";
    case TenantState::kSuspended: return "suspended";
    case TenantState::kQuarantined: return "quarantined";
    case TenantState::kOffboarding: return "offboarding";
    case TenantState::kDeleted: return "deleted";
  }
  return "unknown";
}

Result<IsolationModel> ParseIsolationModel(std::string_view text) {
  for (auto m : {IsolationModel::kShared, IsolationModel::kDatabase, IsolationModel::kDedicated})
    if (ToString(m) == text) return m;
  return Fail(Errc::kInvalidArgument,
              "unknown isolation model (expected shared, database or dedicated)");
}

Result<TenantState> ParseTenantState(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(TenantState::kDeleted); ++i) {
    auto s = static_cast<TenantState>(i);
    if (ToString(s) == text) return s;
  }
  return Fail(Errc::kInvalidArgument, "unknown tenant state");
}

bool IsTransitionAllowed(TenantState from, TenantState to) noexcept {
  using S = TenantState;
  switch (from) {
    case S::kProvisioning: return to == S::kActive || to == S::kOffboarding;
    case S::kActive: return to == S::kSuspended || to == S::kQuarantined || to == S::kOffboarding;
    case S::kSuspended: return to == S::kActive || to == S::kOffboarding;
    case S::kQuarantined:
      return to == S::kActive || to == S::kSuspended || to == S::kOffboarding;
    case S::kOffboarding: return to == S::kDeleted;
    case S::kDeleted: return false;
  }
  return false;
}

Result<void> CheckTransition(TenantState from, TenantState to) {
  if (IsTransitionAllowed(from, to)) return {};
  return Fail(Errc::kFailedPrecondition, "illegal lifecycle transition " +
                                             std::string(ToString(from)) + " -> " +
                                             std::string(ToString(to)));
}

bool IsValidSlug(std::string_view slug) noexcept {
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' || slug.back() == '-') return false;
  for (char c : slug)
    if (!IsLabelChar(c)) return false;
  return true;
}

bool IsValidTier(std::string_view tier) noexcept {
  if (tier.empty() || tier.size() > 32) return false;
  for (char c : tier)
    if (!IsLabelChar(c) && c != '_') return false;
  return true;
}

bool IsValidDomain(std::string_view domain) noexcept {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t labels = 0;
  while (!domain.empty()) {
    auto dot = domain.find('.');
    auto label = domain.substr(0, dot);
    if (!IsValidSlug(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
    if (domain.empty()) return false;  // trailing dot
  }
  return labels >= 2;
}

}  // namespace tenancy
