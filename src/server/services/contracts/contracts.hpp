// The server's published contract: its OpenAPI 3.1 document.
//
//   GET /openapi.json   (public) the document, application/json
//
// The document is a hand-maintained source file,
// src/server/openapi/openapi.json, embedded at build time
// (openapi/embed_openapi.cmake). It lists every route of the router with
// its request and response schemas, the security schemes (bearer API key or
// JWT) and the RFC 9457 problem schema with the stable codes;
// tests/server/openapi_test.cpp holds the router and the document to each
// other and validates recorded responses against it.
//
// Thread safety: immutable data.
#pragma once

#include <string_view>

#include "router.hpp"

namespace tenancyd {

// The document's bytes (static storage; valid JSON, checked by the tests).
std::string_view OpenApiDocument() noexcept;

// Registers GET /openapi.json.
void AddContractRoutes(Router& router);

}  // namespace tenancyd
