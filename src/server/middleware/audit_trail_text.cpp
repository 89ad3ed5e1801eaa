// What caller-supplied text may reach an audit entry (see audit_trail.hpp).
#include <cstddef>
#include <string>
#include <string_view>

#include "middleware/audit_trail.hpp"
#include "tenancy/log.hpp"

namespace tenancyd {
namespace {

constexpr std::string_view kRedacted = tenancy::kRedacted;
constexpr std::size_t kMaxPartBytes = 64;
// Random-looking words at least this long are taken for secrets.
constexpr std::size_t kLongWord = 24;

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Upper case, lower case and digits together over a long word: base64 or
// hex-with-case of random bytes, not prose.
bool LooksRandom(std::string_view w) {
  if (w.size() < kLongWord) return false;
  bool upper = false, lower = false, digit = false;
  for (char c : w) {
    upper |= c >= 'A' && c <= 'Z';
    lower |= c >= 'a' && c <= 'z';
    digit |= c >= '0' && c <= '9';
  }
  return upper && lower && digit;
}

bool LooksLikeCredential(std::string_view w) {
  if (w.find("tk.") != std::string_view::npos) return true;          // API keys
  if (w.find("whsec_") != std::string_view::npos) return true;       // webhook secrets
  if (w.find("eyJ") != std::string_view::npos) return true;          // JWTs (base64 of '{"')
  if (LooksRandom(w)) return true;
  // "Bearer:abc", "basic=abc": the scheme names the credential.
  for (std::string_view scheme : {std::string_view("bearer"), std::string_view("basic")})
    if (w.size() > scheme.size() + 1 && StartsWithNoCase(w, scheme) &&
        (w[scheme.size()] == ':' || w[scheme.size()] == '='))
      return true;
  // name=value, name:value with a credential's name (a bare "name:" is
  // prose, e.g. "Authorization: Basic ..." whose next words are judged on
  // their own).
  const auto sep = w.find_first_of("=:");
  if (sep != std::string_view::npos && sep > 0 && sep + 1 < w.size() &&
      tenancy::IsCredentialFieldName(w.substr(0, sep)))
    return true;
  return false;
}

bool IsSpace(char c) { return c == ' '; }

}  // namespace

std::string SafeTargetPart(std::string_view value) {
  if (value.empty() || value.size() > kMaxPartBytes) return std::string(kRedacted);
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return std::string(kRedacted);
  return std::string(value);
}

std::string ScrubCredentials(std::string_view text, std::size_t max_bytes) {
  // Control characters become spaces first, so words split on them too.
  std::string clean(text);
  for (char& c : clean)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  std::string out;
  out.reserve(clean.size());
  bool redact_next = false;  // after "Bearer" / "Basic"
  std::string_view rest = clean;
  while (!rest.empty()) {
    if (IsSpace(rest.front())) {
      out += ' ';
      rest.remove_prefix(1);
      continue;
    }
    std::size_t n = 0;
    while (n < rest.size() && !IsSpace(rest[n])) ++n;
    const std::string_view word = rest.substr(0, n);
    rest.remove_prefix(n);
    if (redact_next || LooksLikeCredential(word)) {
      out += kRedacted;
    } else {
      out += word;
    }
    redact_next = word.size() <= 7 &&
                  (StartsWithNoCase(word, "bearer") || StartsWithNoCase(word, "basic"));
  }
  if (out.size() > max_bytes) {
    std::size_t cut = max_bytes;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

}  // namespace tenancyd
