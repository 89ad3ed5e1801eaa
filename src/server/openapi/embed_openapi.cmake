# Turns openapi.json into a C++ source defining tenancyd::OpenApiDocument(),
# at build time and without any tool beyond CMake:
#   cmake -DIN=openapi.json -DOUT=openapi_document.cpp -P embed_openapi.cmake
# The document goes into a raw string literal; a delimiter that cannot
# occur in it is checked, so a stray ")tenancy_openapi\"" fails the build
# instead of truncating the document.
file(READ "${IN}" content)
string(FIND "${content}" ")tenancy_openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )tenancy_openapi\"")
endif()
set(tmp "${OUT}.tmp")
file(WRITE "${tmp}" "// Generated from src/server/openapi/openapi.json by embed_openapi.cmake. Do not edit.\n")
file(APPEND "${tmp}" "#include \"services/contracts/contracts.hpp\"\n\nnamespace tenancyd {\n\n")
file(APPEND "${tmp}" "std::string_view OpenApiDocument() noexcept {\n  static constexpr char kDocument[] = R\"tenancy_openapi(")
file(APPEND "${tmp}" "${content}")
file(APPEND "${tmp}" ")tenancy_openapi\";\n  return {kDocument, sizeof kDocument - 1};\n}\n\n}  // namespace tenancyd\n")
file(COPY_FILE "${tmp}" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${tmp}")
