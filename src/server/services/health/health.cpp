#include "services/health/health.hpp"

#include <boost/json.hpp>

namespace tenancyd {
namespace json = boost::json;

void AddHealthRoutes(Router& router, const std::atomic<bool>& ready) {
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/healthz",
                   .scope = Scope::kPublic,
                   .handler = [](Exchange&) -> tenancy::Result<Response> {
                     return JsonResponse(http::status::ok, json::object{{"status", "ok"}});
                   }});
  const std::atomic<bool>* flag = &ready;
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/readyz",
                   .scope = Scope::kPublic,
                   .handler = [flag](Exchange&) -> tenancy::Result<Response> {
                     if (!flag->load(std::memory_order_acquire))
                       return tenancy::Fail(tenancy::Errc::kUnavailable, "the server is draining");
                     return JsonResponse(http::status::ok, json::object{{"status", "ready"}});
                   }});
}

}  // namespace tenancyd
