#include "problem.hpp"

#include "json_writer.hpp"

namespace tenancyd {
namespace {

constexpr std::size_t kMaxDetailBytes = 512;
constexpr std::size_t kMaxInstanceBytes = 256;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t Utf8Length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

Response Render(const ErrorStatus& row, std::string_view detail, const ProblemInfo& info) {
  const std::string_view code = info.code.empty() ? row.code : info.code;
  const http::status status = info.status ? static_cast<http::status>(info.status) : row.status;
  // Written directly (D56): a flood of refused requests is answered with
  // these, so they should cost little.
  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Member("type", "urn:tenancy:problem:" + std::string(code));
  w.Key("title");
  w.String(info.status == 422 ? std::string_view("Unprocessable Content") : row.title);
  w.Member("status", static_cast<std::int64_t>(status));
  w.Member("detail", SafeText(row.hide_detail ? row.generic_detail : detail, kMaxDetailBytes));
  w.Member("instance", SafeText(info.instance, kMaxInstanceBytes));
  w.Key("code");
  w.String(code);
  w.Key("request_id");
  w.String(info.request_id);
  w.EndObject();
  Response res = JsonTextResponse(status, std::move(body));
  res.set(http::field::content_type, kProblemType);
  if (status == http::status::unauthorized) {
    res.set(http::field::www_authenticate, info.credential_presented
                                               ? R"(Bearer realm="tenancyd", error="invalid_token")"
                                               : R"(Bearer realm="tenancyd")");
  }
  if (status == http::status::too_many_requests || status == http::status::service_unavailable) {
    const auto secs = info.retry_after.count() > 0 ? info.retry_after.count() : 1;
    res.set(http::field::retry_after, std::to_string(secs));
  }
  return res;
}

}  // namespace

std::string SafeText(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8Length(text, i);
    const bool control = n == 1 && (static_cast<unsigned char>(text[i]) < 0x20 || text[i] == 0x7F);
    if (n == 0 || control) {
      if (out.size() + 1 > max_bytes) break;
      out += '?';
      ++i;
      continue;
    }
    if (out.size() + n > max_bytes) break;
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

Response ProblemResponse(const tenancy::Error& error, const ProblemInfo& info) {
  return Render(StatusOf(error.code), error.message, info);
}

Response ProblemResponse(HttpFailure failure, std::string_view detail, const ProblemInfo& info) {
  return Render(StatusOf(failure), detail, info);
}

}  // namespace tenancyd
