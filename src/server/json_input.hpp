// Strict reading of request input: JSON bodies and query strings.
//
// Refused with kInvalidArgument, each naming the field or parameter at
// fault: a body that is not `application/json` (or `…+json`), not a JSON
// object, nested too deep; an unknown field or query parameter; a value of
// the wrong type; a string over its byte limit; a repeated query parameter.
// Unknown fields are refused rather than ignored so a misspelt option never
// silently does nothing.
//
// Thread safety: values.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http.hpp"
#include "tenancy/result.hpp"

namespace tenancyd {

class JsonBody {
 public:
  // Parses the request's body as a JSON object whose fields are all among
  // `allowed`. An empty body counts as `{}` when `allow_empty`.
  static tenancy::Result<JsonBody> Parse(const Request& request,
                                         std::initializer_list<std::string_view> allowed,
                                         bool allow_empty = false);

  bool Has(std::string_view field) const noexcept { return object_.contains(field); }
  bool empty() const noexcept { return object_.empty(); }

  // Absent → nullopt. A string of at most `max_bytes`; anything else is
  // refused (null included).
  tenancy::Result<std::optional<std::string>> OptionalString(std::string_view field,
                                                             std::size_t max_bytes) const;
  tenancy::Result<std::string> RequiredString(std::string_view field, std::size_t max_bytes) const;
  // For PATCH: absent → nullopt; null → an empty optional (clear); a string
  // → its value.
  tenancy::Result<std::optional<std::optional<std::string>>> NullableString(
      std::string_view field, std::size_t max_bytes) const;
  // Absent → nullopt. A JSON number within [min, max] (integers accepted);
  // anything else is refused (null included).
  tenancy::Result<std::optional<double>> OptionalNumber(std::string_view field, double min,
                                                        double max) const;
  tenancy::Result<double> RequiredNumber(std::string_view field, double min, double max) const;
  // Absent → nullopt. A JSON integer within [min, max] (2.0 is not one).
  tenancy::Result<std::optional<std::int64_t>> OptionalInt(std::string_view field,
                                                           std::int64_t min,
                                                           std::int64_t max) const;
  tenancy::Result<std::optional<bool>> OptionalBool(std::string_view field) const;
  // The raw value, or null when absent (for domain parsers that name their
  // own fields).
  const boost::json::value* Raw(std::string_view field) const noexcept {
    return object_.if_contains(field);
  }
  const boost::json::object& object() const noexcept { return object_; }
  // The full name of a field for error messages ("pickup.lon").
  std::string FieldName(std::string_view field) const { return Name(field); }
  // An optional nested object (absent → nullopt).
  tenancy::Result<std::optional<JsonBody>> OptionalObject(
      std::string_view field, std::initializer_list<std::string_view> allowed) const;
  // A nested object, read with the same rules (errors name "outer.inner").
  tenancy::Result<JsonBody> RequiredObject(std::string_view field,
                                           std::initializer_list<std::string_view> allowed) const;

 private:
  JsonBody(boost::json::object o, std::string prefix)
      : object_(std::move(o)), prefix_(std::move(prefix)) {}
  std::string Name(std::string_view field) const;

  boost::json::object object_;
  std::string prefix_;  // "admin." inside a nested object
};

// The request's body as any JSON value (documents whose shape a domain
// parser checks: GeoJSON, flagd), nested at most `max_depth`. kInvalidArgument
// for an empty body, a non-JSON content type or malformed JSON.
tenancy::Result<boost::json::value> ParseJsonDocument(const Request& request,
                                                      std::size_t max_depth = 32);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes an application/x-www-form-urlencoded string (a query string or a
// form body; '+' is a space). With `allowed` non-empty, any other name is
// refused; a repeated name and a malformed %-escape are always refused.
tenancy::Result<QueryParams> ParseForm(std::string_view text,
                                       std::initializer_list<std::string_view> allowed);

// The value of `name`, if present.
std::optional<std::string_view> Lookup(const QueryParams& params, std::string_view name);

}  // namespace tenancyd
