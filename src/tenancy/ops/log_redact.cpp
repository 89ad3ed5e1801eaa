// Redaction: which field names are credentials, and the credential shapes
// scrubbed out of free text.
//
// Written by hand: these are a handful of fixed patterns scanned once, left
// to right; a regex engine would cost more per line and say no more.
#include <array>

#include "ops/log_text.hpp"
#include "tenancy/log.hpp"

namespace tenancy {
namespace {

constexpr std::array<std::string_view, 13> kCredentialWords = {
    "password", "passwd",    "passphrase", "secret",     "token",  "authorization", "apikey",
    "accesskey", "privatekey", "credential", "cookie", "bearer",        "signature"};

// ASCII only, whatever the C locale: the shapes scrubbed are ASCII.
char Lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsAlnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsSpace(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

bool IsCredentialFieldName(std::string_view name) noexcept {
  // Lower-cased, separators dropped: "X-Api-Key" -> "xapikey".
  char buf[128];
  std::size_t n = 0;
  for (const char c : name) {
    if (c == '-' || c == '_' || c == '.' || c == ' ') continue;
    if (n == sizeof buf) break;  // a name this long is judged by its start
    buf[n++] = Lower(c);
  }
  const std::string_view norm(buf, n);
  for (const auto w : kCredentialWords)
    if (norm.find(w) != std::string_view::npos) return true;
  return false;
}

namespace detail::log {
namespace {

bool IsWordChar(char c) noexcept {
  return IsAlnum(c) || c == '_' || c == '-' || c == '.';
}
bool IsB64Url(char c) noexcept {
  return IsAlnum(c) || c == '_' || c == '-';
}
// Characters of a token after an auth scheme (RFC 7235 token68) and of
// base64 in general.
bool IsToken68(char c) noexcept {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}
bool IsValueEnd(char c) noexcept {
  return IsSpace(c) || c == '&' || c == ',' || c == ';' ||
         c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == '>';
}

bool StartsWithNoCase(std::string_view text, std::size_t i, std::string_view word) noexcept {
  if (text.size() - i < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (Lower(text[i + k]) != word[k]) return false;
  return true;
}

std::size_t Skip(std::string_view text, std::size_t i, bool (*pred)(char) noexcept) noexcept {
  while (i < text.size() && pred(text[i])) ++i;
  return i;
}

// After "Bearer " or "Basic ": 8 or more token characters, not all of them
// lower-case letters, so prose ("Basic information", "bearer of news")
// passes while real credentials (base64, random strings) do not.
bool LooksLikeToken(std::string_view t) noexcept {
  if (t.size() < 8) return false;
  for (const char c : t)
    if (c < 'a' || c > 'z') return true;
  return false;
}

// "Bearer <token>" / "Basic <token>": the end of the token, or 0.
std::size_t MatchScheme(std::string_view text, std::size_t i, std::size_t& keep) noexcept {
  for (const std::string_view scheme : {std::string_view("bearer"), std::string_view("basic")}) {
    if (!StartsWithNoCase(text, i, scheme)) continue;
    std::size_t j = i + scheme.size();
    const std::size_t spaces = j;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j == spaces) return 0;
    const std::size_t end = Skip(text, j, IsToken68);
    if (!LooksLikeToken(text.substr(j, end - j))) return 0;
    keep = j - i;
    return end;
  }
  return 0;
}

// "tk.<tenant>.<key>.<secret>" (an API key): keeps the public prefix.
std::size_t MatchApiKey(std::string_view text, std::size_t i, std::size_t& keep) noexcept {
  if (text.compare(i, 3, "tk.") != 0) return 0;
  std::size_t j = i + 3;
  for (int part = 0; part < 2; ++part) {
    const std::size_t end = Skip(text, j, IsB64Url);
    if (end == j || end >= text.size() || text[end] != '.') return 0;
    j = end + 1;
  }
  const std::size_t end = Skip(text, j, IsB64Url);
  if (end == j) return 0;
  keep = j - i;
  return end;
}

// "whsec_<base64>": keeps "whsec_".
std::size_t MatchWebhookSecret(std::string_view text, std::size_t i, std::size_t& keep) noexcept {
  if (text.compare(i, 6, "whsec_") != 0) return 0;
  const std::size_t end = Skip(text, i + 6, IsToken68);
  if (end == i + 6) return 0;
  keep = 6;
  return end;
}

// A compact JWS/JWT: "eyJ…" with two dots. Replaced whole.
std::size_t MatchJwt(std::string_view text, std::size_t i, std::size_t& keep) noexcept {
  if (text.compare(i, 3, "eyJ") != 0) return 0;
  std::size_t j = Skip(text, i, IsB64Url);
  for (int dot = 0; dot < 2; ++dot) {
    if (j >= text.size() || text[j] != '.') return 0;
    j = Skip(text, j + 1, IsB64Url);
  }
  keep = 0;
  return j;
}

// "<credential name>=<value>" or "<credential name>: <value>", e.g.
// "password=hunter2", "Authorization: Bearer x": keeps the name.
std::size_t MatchNamedValue(std::string_view text, std::size_t i, std::size_t word_end,
                            std::size_t& keep) noexcept {
  if (word_end >= text.size() || (text[word_end] != '=' && text[word_end] != ':')) return 0;
  if (!IsCredentialFieldName(text.substr(i, word_end - i))) return 0;
  std::size_t j = word_end + 1;
  while (j < text.size() && text[j] == ' ') ++j;
  keep = j - i;
  std::size_t end = j;
  while (end < text.size() && !IsValueEnd(text[end])) ++end;
  // "Bearer x" / "Basic x" after the name: the scheme's token goes too.
  std::size_t scheme_keep = 0;
  if (const std::size_t s = MatchScheme(text, j, scheme_keep); s != 0) end = s;
  return end > j ? end : 0;
}

// Every shape above needs one of these bytes: the space after a scheme, a
// dot (API keys, JWTs), the underscore of "whsec_", '=' or ':' after a
// name. (A new shape must add its own here.)
constexpr std::array<bool, 256> kShapeBytes = [] {
  std::array<bool, 256> t{};
  for (const unsigned char c : std::string_view(" ._=:")) t[c] = true;
  return t;
}();

bool MayHoldCredential(std::string_view text) noexcept {
  for (const char c : text)
    if (kShapeBytes[static_cast<unsigned char>(c)]) return true;
  return false;
}

}  // namespace

void AppendScrubbed(std::string& out, std::string_view text) {
  // Most values (ids, hex, routes, words) hold none of the shapes' bytes:
  // one table lookup a byte instead of the word-by-word scan.
  if (!MayHoldCredential(text)) {
    out.append(text);
    return;
  }
  std::size_t i = 0;
  std::size_t copied = 0;  // text[copied, i) is waiting to be appended
  while (i < text.size()) {
    if (!IsWordChar(text[i]) || (i > 0 && IsWordChar(text[i - 1]))) {
      ++i;
      continue;
    }
    // At the start of a word. The shapes start with distinct letters, so
    // the first one picks the only candidate.
    std::size_t keep = 0;
    std::size_t end = 0;
    switch (text[i]) {
      case 'b': case 'B': end = MatchScheme(text, i, keep); break;
      case 't': end = MatchApiKey(text, i, keep); break;
      case 'w': end = MatchWebhookSecret(text, i, keep); break;
      case 'e': end = MatchJwt(text, i, keep); break;
      default: break;
    }
    const std::size_t word_end = Skip(text, i, IsWordChar);
    if (end == 0) end = MatchNamedValue(text, i, word_end, keep);
    if (end == 0) {
      i = word_end;
      continue;
    }
    out.append(text.substr(copied, i + keep - copied));
    out.append(kRedacted);
    i = copied = end;
  }
  out.append(text.substr(copied));
}

}  // namespace detail::log
}  // namespace tenancy
