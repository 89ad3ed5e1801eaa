// The admin portal at /admin: static HTML, CSS and ES modules (no framework,
// no build step at run time) embedded in the binary (portal_assets.hpp):
//
//   GET /admin                 index.html (tenant admins and operators)
//   GET /admin/{file}          e.g. /admin/signup.html
//   GET /admin/{dir}/{file}    e.g. /admin/js/app.js, /admin/css/portal.css
//
// The routes are public: the files hold no data, and the API calls the
// pages make carry the caller's bearer token. Every file is answered with
// its content type, a strong ETag (If-None-Match → 304), `Cache-Control:
// no-cache` (revalidate, so a new binary's portal shows at once), a strict
// Content-Security-Policy (scripts and styles only from this origin, no
// inline script, no framing), `X-Content-Type-Options: nosniff` and
// `Referrer-Policy: no-referrer`. A path that is not an embedded file —
// traversal attempts included — answers 404 `not_found`.
//
// Thread safety: the handlers are safe to call concurrently.
#pragma once

#include <string_view>

#include "http.hpp"
#include "router.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

// The policy every portal page is served with. Images may come from any
// https origin because a tenant's logo (branding.logo_url) is an https URL
// elsewhere; nothing else leaves this origin.
inline constexpr std::string_view kPortalContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The response for the portal file at `path` (relative to the portal's
// root, e.g. "js/app.js"), honouring `request`'s If-None-Match.
// Errors: kNotFound for anything that is not an embedded file.
tenancy::Result<Response> ServePortalFile(const Request& request, std::string_view path);

void AddPortalRoutes(Router& router);

}  // namespace tenancyd
