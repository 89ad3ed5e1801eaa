#include "http.hpp"

#include <boost/json/serialize.hpp>

namespace tenancyd {

Response JsonTextResponse(http::status status, std::string json_text) {
  Response res{status, 11};
  res.set(http::field::content_type, kJsonType);
  res.body() = std::move(json_text);
  return res;
}

Response JsonResponse(http::status status, const boost::json::value& body) {
  return JsonTextResponse(status, boost::json::serialize(body));
}

Target SplitTarget(std::string_view target) noexcept {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

}  // namespace tenancyd
