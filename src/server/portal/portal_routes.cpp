// GET /admin, /admin/{file}, /admin/{dir}/{file}: the embedded portal.
#include <string>

#include "conditional.hpp"
#include "portal/portal.hpp"
#include "portal/portal_assets.hpp"

namespace tenancyd {
using tenancy::Errc;
using tenancy::Fail;

namespace {

constexpr std::string_view kIndex = "index.html";

void SetCommonHeaders(Response& res, const PortalAsset& asset) {
  res.set(http::field::etag, asset.etag);
  res.set(http::field::cache_control, "no-cache");
  res.set("Content-Security-Policy", kPortalContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
}

}  // namespace

tenancy::Result<Response> ServePortalFile(const Request& request, std::string_view path) {
  const PortalAsset* asset = FindPortalAsset(path);
  // One answer for "unsafe" and "absent": a probe learns nothing either way.
  if (!asset) return Fail(Errc::kNotFound, "no such portal file");
  if (MatchesIfNoneMatch(request[http::field::if_none_match], asset->etag)) {
    Response res{http::status::not_modified, request.version()};
    SetCommonHeaders(res, *asset);
    return res;
  }
  Response res{http::status::ok, request.version()};
  SetCommonHeaders(res, *asset);
  res.set(http::field::content_type, ContentTypeFor(asset->path));
  res.body().assign(asset->bytes.data(), asset->bytes.size());
  res.prepare_payload();
  return res;
}

void AddPortalRoutes(Router& router) {
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/admin",
                   .scope = Scope::kPublic,
                   .handler = [](Exchange& x) { return ServePortalFile(x.request, kIndex); }});
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/admin/{file}",
                   .scope = Scope::kPublic,
                   .handler = [](Exchange& x) { return ServePortalFile(x.request, x.Param("file")); }});
  router.Add(Route{.method = http::verb::get,
                   .pattern = "/admin/{dir}/{file}",
                   .scope = Scope::kPublic,
                   .handler = [](Exchange& x) {
                     const std::string path = std::string(x.Param("dir")) + "/" +
                                              std::string(x.Param("file"));
                     return ServePortalFile(x.request, path);
                   }});
}

}  // namespace tenancyd
