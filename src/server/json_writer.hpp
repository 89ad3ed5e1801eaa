// JsonWriter: JSON text written straight into a string, for the responses
// on the hottest read paths (a ride), where building a boost::json::value
// and serializing it costs several times the writing itself.
//
//   std::string text;
//   JsonWriter w(text);
//   w.BeginObject();
//   w.Member("id", ride.id);
//   w.Member("fare", ride.fare);  // an empty optional writes null
//   w.Key("pickup");
//   w.BeginObject(); ... w.EndObject();
//   w.EndObject();
//
// The text is what Boost.JSON would write for the same value, read back:
// strings through tenancy::AppendJsonString (tenancy/json_text.hpp), so
// escaped by Boost.JSON's own serializer whenever they need any escape
// (quotes, backslashes, control bytes; other bytes pass through, as
// there), integers exactly, doubles as the shortest text that reads back
// the same double (std::to_chars) and always with a fraction or exponent,
// so a parser reads a double again; non-finite doubles as null. A property
// test holds it to that (json_writer_test.cpp).
//
// The caller pairs every Begin with its End and follows every Key with one
// value; the writer adds the commas. Thread safety: a value, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tenancy/clock.hpp"

namespace tenancyd {

// An object member's name fixed in the source: a string literal, checked
// when compiling to need no JSON escape, so it is written as it is. (A name
// that comes from data goes through JsonWriter::EscapedKey.)
class JsonKey {
 public:
  template <std::size_t N>
  consteval JsonKey(const char (&name)[N]) : name_(name, N - 1) {  // NOLINT: implicit by design
    for (const char c : name_)
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\')
        throw "a JsonKey literal must need no JSON escape";
  }
  constexpr std::string_view view() const noexcept { return name_; }

 private:
  std::string_view name_;
};

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) noexcept : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // An object member's name; the next call writes its value.
  void Key(JsonKey name);
  // The same for a name from data, escaped as it needs.
  void EscapedKey(std::string_view name);

  void String(std::string_view text);
  void Int(std::int64_t n);
  void Double(double d);
  void Bool(bool b);
  void Null();
  // An instant as an RFC 3339 string (tenancy/rfc3339.hpp).
  void Instant(tenancy::TimePoint t);
  // The value, or null when empty.
  void StringOrNull(const std::optional<std::string>& text);
  void IntOrNull(const std::optional<std::int64_t>& n);

  // Key(name) and then the value (an empty optional: null).
  void Member(JsonKey name, const std::string& text);
  void Member(JsonKey name, std::int64_t n);
  void Member(JsonKey name, double d);
  void Member(JsonKey name, const std::optional<std::string>& text);
  void Member(JsonKey name, const std::optional<std::int64_t>& n);

 private:
  // The comma before a container's second and later members.
  void Separate();
  void Quoted(std::string_view text);

  std::string& out_;
  bool first_ = true;       // nothing written yet in the open container
  bool after_key_ = false;  // a Key waits for its value
};

}  // namespace tenancyd
