#include "services/data_plane.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "json_input.hpp"
#include "services/control_plane/control_plane.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {
constexpr std::size_t kMaxLimit = 200;
constexpr std::size_t kMaxCursorBytes = 512;
}  // namespace

tenancy::Result<void> ReadPaging(const QueryParams& params, tenancy::ListQuery& q) {
  if (auto v = Lookup(params, "limit")) {
    std::size_t limit = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc() || end != v->data() + v->size() || limit < 1 || limit > kMaxLimit)
      return Fail(Errc::kInvalidArgument, "parameter 'limit' must be 1-200");
    q.limit = limit;
  }
  if (auto v = Lookup(params, "cursor")) {
    if (v->empty() || v->size() > kMaxCursorBytes)
      return Fail(Errc::kInvalidArgument, "parameter 'cursor' is not a cursor");
    q.after = std::string(*v);
  }
  return {};
}

json::object PageJson(json::array items, const std::string& next_cursor) {
  return json::object{{"items", std::move(items)},
                      {"next_cursor",
                       next_cursor.empty() ? json::value(nullptr) : json::value(next_cursor)}};
}

std::string MillisToRfc3339(std::int64_t unix_millis) {
  return Rfc3339(tenancy::FromUnixMillis(unix_millis));
}

Response Created(const json::object& body, std::string location) {
  return Created(json::serialize(body), std::move(location));
}

Response Created(std::string json_text, std::string location) {
  Response res = JsonTextResponse(http::status::created, std::move(json_text));
  res.set(http::field::location, std::move(location));
  return res;
}

}  // namespace tenancyd
