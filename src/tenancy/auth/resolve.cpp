#include "tenancy/resolve.hpp"

#include <algorithm>
#include <cctype>

namespace tenancy {
namespace {

Result<std::shared_ptr<const Tenant>> Live(Result<std::shared_ptr<const Tenant>> t) {
  if (!t || (*t)->state == TenantState::kDeleted) return Fail(Errc::kTenantUnknown, "no such tenant");
  if (!(*t)->IsLive()) return Fail(Errc::kTenantSuspended, "tenant is " + std::string(ToString((*t)->state)));
  return t;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

TenantResolver::TenantResolver(const Directory& directory, ResolverOptions options)
    : directory_(directory), options_(std::move(options)) {
  options_.base_domain = Lower(options_.base_domain);
}

Result<std::shared_ptr<const Tenant>> TenantResolver::Named(std::string_view id_or_slug) const {
  if (auto id = TenantId::Parse(id_or_slug)) return Live(directory_.Get(*id));
  if (!IsValidSlug(id_or_slug)) return Fail(Errc::kInvalidArgument, "malformed tenant name");
  return Live(directory_.GetBySlug(id_or_slug));
}

Result<std::optional<Resolution>> TenantResolver::Try(ResolvedBy by, const RequestFacts& facts) const {
  switch (by) {
    case ResolvedBy::kHost: {
      if (facts.host.empty() || facts.host.size() > 260) return std::nullopt;
      std::string host = Lower(facts.host);
      if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
        host.resize(colon);
      const std::string& base = options_.base_domain;
      if (!base.empty() && host.size() > base.size() + 1 && host.ends_with(base) &&
          host[host.size() - base.size() - 1] == '.') {
        const std::string slug = host.substr(0, host.size() - base.size() - 1);
        if (slug.find('.') != std::string::npos) return Fail(Errc::kTenantUnknown, "no such tenant");
        auto t = Named(slug);
        if (!t) return t.error();
        return Resolution{*t, by, facts.path};
      }
      if (host == base || !IsValidDomain(host)) return std::nullopt;
      auto t = directory_.GetByDomain(host);
      if (!t) return std::nullopt;  // not one of ours: let the next strategy try
      auto live = Live(std::move(t));
      if (!live) return live.error();
      return Resolution{*live, by, facts.path};
    }
    case ResolvedBy::kHeader: {
      if (!facts.header || options_.header.empty()) return std::nullopt;
      auto value = facts.header(options_.header);
      if (!value || value->empty()) return std::nullopt;
      auto t = Named(*value);
      if (!t) return t.error();
      return Resolution{*t, by, facts.path};
    }
    case ResolvedBy::kPathPrefix: {
      const std::string& prefix = options_.path_prefix;
      if (prefix.empty() || !facts.path.starts_with(prefix)) return std::nullopt;
      std::string_view rest = facts.path.substr(prefix.size());
      const auto slash = rest.find('/');
      const std::string_view name = rest.substr(0, slash);
      auto t = Named(name);
      if (!t) return t.error();
      return Resolution{*t, by, slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash)};
    }
    case ResolvedBy::kTokenClaim: {
      if (!facts.credential || facts.credential->platform()) return std::nullopt;
      auto t = Live(directory_.Get(facts.credential->tenant));
      if (!t) return t.error();
      return Resolution{*t, by, facts.path};
    }
  }
  return std::nullopt;
}

Result<Resolution> TenantResolver::Resolve(const RequestFacts& facts) const {
  for (ResolvedBy by : options_.chain) {
    auto r = Try(by, facts);
    if (!r) return r.error();
    if (*r) return std::move(**r);
  }
  return Fail(Errc::kNotFound, "the request names no tenant");
}

Result<void> TenantResolver::CheckCredential(const Resolution& resolved, const Authenticated& who) {
  if (who.platform())
    return Fail(Errc::kPermissionDenied, "platform credentials act in a tenant only by impersonation");
  if (who.tenant != resolved.tenant->id)
    return Fail(Errc::kTenantMismatch, "the credential belongs to another tenant");
  return {};
}

}  // namespace tenancy
