#include "json_input.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "problem.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::size_t kMaxNameEcho = 64;  // bytes of a client's field name echoed back

bool IsJsonType(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string_view m = media;
  while (!m.empty() && m.back() == ' ') m.remove_suffix(1);
  if (boost::beast::iequals(m, "application/json")) return true;
  return m.size() > 5 && boost::beast::iequals(m.substr(m.size() - 5), "+json") &&
         boost::beast::iequals(m.substr(0, 12), "application/");
}

std::string Echo(std::string_view name) { return SafeText(name, kMaxNameEcho); }

int HexDigit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One name or value of a form: '+' is a space, "%XY" a byte; a '%' not
// followed by two hex digits is refused.
tenancy::Result<std::string> DecodeFormPart(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '+') {
      out += ' ';
      continue;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    const int hi = i + 2 < encoded.size() ? HexDigit(encoded[i + 1]) : -1;
    const int lo = i + 2 < encoded.size() ? HexDigit(encoded[i + 2]) : -1;
    if (hi < 0 || lo < 0) return Fail(Errc::kInvalidArgument, "malformed percent-encoding");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

std::string JsonBody::Name(std::string_view field) const { return prefix_ + std::string(field); }

tenancy::Result<JsonBody> JsonBody::Parse(const Request& request,
                                          std::initializer_list<std::string_view> allowed,
                                          bool allow_empty) {
  const std::string& body = request.body();
  json::object object;
  if (body.empty()) {
    if (!allow_empty) return Fail(Errc::kInvalidArgument, "a JSON object body is required");
  } else {
    if (!IsJsonType(request[http::field::content_type]))
      return Fail(Errc::kInvalidArgument, "the body must be sent as Content-Type: application/json");
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 8;
    json::value v = json::parse(body, ec, {}, opts);
    if (ec) return Fail(Errc::kInvalidArgument, "the body is not valid JSON");
    if (!v.is_object()) return Fail(Errc::kInvalidArgument, "the body must be a JSON object");
    object = std::move(v.as_object());
  }
  for (const auto& [key, value] : object)
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end())
      return Fail(Errc::kInvalidArgument, "unknown field '" + Echo(key) + "'");
  return JsonBody(std::move(object), "");
}

tenancy::Result<std::optional<std::string>> JsonBody::OptionalString(std::string_view field,
                                                                     std::size_t max_bytes) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be a string");
  const json::string& s = v->as_string();
  if (s.size() > max_bytes)
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' exceeds " +
                                            std::to_string(max_bytes) + " bytes");
  return std::optional<std::string>(std::string(s));
}

tenancy::Result<std::string> JsonBody::RequiredString(std::string_view field,
                                                      std::size_t max_bytes) const {
  auto v = OptionalString(field, max_bytes);
  if (!v) return v.error();
  if (!*v || (*v)->empty())
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' is required");
  return std::move(**v);
}

tenancy::Result<std::optional<std::optional<std::string>>> JsonBody::NullableString(
    std::string_view field, std::size_t max_bytes) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return std::optional<std::optional<std::string>>{};
  if (v->is_null()) return std::optional<std::optional<std::string>>(std::optional<std::string>{});
  auto s = OptionalString(field, max_bytes);
  if (!s) return s.error();
  return std::optional<std::optional<std::string>>(std::move(*s));
}

tenancy::Result<JsonBody> JsonBody::RequiredObject(
    std::string_view field, std::initializer_list<std::string_view> allowed) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' is required");
  if (!v->is_object()) return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be an object");
  const std::string prefix = Name(field) + ".";
  for (const auto& [key, value] : v->as_object())
    if (std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end())
      return Fail(Errc::kInvalidArgument, "unknown field '" + prefix + Echo(key) + "'");
  return JsonBody(v->as_object(), prefix);
}

tenancy::Result<std::optional<double>> JsonBody::OptionalNumber(std::string_view field,
                                                               double min, double max) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return std::optional<double>{};
  double d;
  if (v->is_double()) {
    d = v->as_double();
  } else if (v->is_int64()) {
    d = static_cast<double>(v->as_int64());
  } else if (v->is_uint64()) {
    d = static_cast<double>(v->as_uint64());
  } else {
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be a number");
  }
  if (!(d >= min && d <= max))  // NaN fails too
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be between " +
                                            json::serialize(json::value(min)) + " and " +
                                            json::serialize(json::value(max)));
  return std::optional<double>(d);
}

tenancy::Result<double> JsonBody::RequiredNumber(std::string_view field, double min,
                                                 double max) const {
  auto v = OptionalNumber(field, min, max);
  if (!v) return v.error();
  if (!*v) return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' is required");
  return **v;
}

tenancy::Result<std::optional<std::int64_t>> JsonBody::OptionalInt(std::string_view field,
                                                                   std::int64_t min,
                                                                   std::int64_t max) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return std::optional<std::int64_t>{};
  std::int64_t i;
  if (v->is_int64()) {
    i = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(max)) {
    i = static_cast<std::int64_t>(v->as_uint64());
  } else if (v->is_uint64()) {  // above INT64_MAX or above max
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be between " +
                                            std::to_string(min) + " and " + std::to_string(max));
  } else {
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be an integer");
  }
  if (i < min || i > max)
    return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be between " +
                                            std::to_string(min) + " and " + std::to_string(max));
  return std::optional<std::int64_t>(i);
}

tenancy::Result<std::optional<bool>> JsonBody::OptionalBool(std::string_view field) const {
  const json::value* v = object_.if_contains(field);
  if (!v) return std::optional<bool>{};
  if (!v->is_bool()) return Fail(Errc::kInvalidArgument, "field '" + Name(field) + "' must be a boolean");
  return std::optional<bool>(v->as_bool());
}

tenancy::Result<std::optional<JsonBody>> JsonBody::OptionalObject(
    std::string_view field, std::initializer_list<std::string_view> allowed) const {
  if (!object_.contains(field)) return std::optional<JsonBody>{};
  auto o = RequiredObject(field, allowed);
  if (!o) return o.error();
  return std::optional<JsonBody>(std::move(*o));
}

tenancy::Result<json::value> ParseJsonDocument(const Request& request, std::size_t max_depth) {
  if (request.body().empty()) return Fail(Errc::kInvalidArgument, "a JSON body is required");
  if (!IsJsonType(request[http::field::content_type]))
    return Fail(Errc::kInvalidArgument, "the body must be sent as Content-Type: application/json");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = max_depth;
  json::value v = json::parse(request.body(), ec, {}, opts);
  if (ec) return Fail(Errc::kInvalidArgument, "the body is not valid JSON");
  return v;
}

tenancy::Result<QueryParams> ParseForm(std::string_view text,
                                       std::initializer_list<std::string_view> allowed) {
  QueryParams out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    const auto eq = pair.find('=');
    auto name = DecodeFormPart(pair.substr(0, eq));
    if (!name) return name.error();
    auto value = DecodeFormPart(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) return value.error();
    if (allowed.size() != 0 &&
        std::find(allowed.begin(), allowed.end(), std::string_view(*name)) == allowed.end())
      return Fail(Errc::kInvalidArgument, "unknown parameter '" + Echo(*name) + "'");
    if (Lookup(out, *name)) return Fail(Errc::kInvalidArgument, "parameter '" + Echo(*name) + "' repeated");
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<std::string_view> Lookup(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

}  // namespace tenancyd
