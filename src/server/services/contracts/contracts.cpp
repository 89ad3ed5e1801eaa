#include "services/contracts/contracts.hpp"

namespace tenancyd {

void AddContractRoutes(Router& router) {
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/openapi.json",
                   .scope = Scope::kPublic,
                   .handler = [](Exchange&) -> tenancy::Result<Response> {
                     const std::string_view doc = OpenApiDocument();
                     Response res{http::status::ok, 11};
                     res.set(http::field::content_type, kJsonType);
                     // The document changes only with the binary.
                     res.set(http::field::cache_control, "public, max-age=300");
                     res.body().assign(doc.data(), doc.size());
                     return res;
                   }});
}

}  // namespace tenancyd
