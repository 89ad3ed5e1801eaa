#include "json_writer.hpp"

#include <charconv>
#include <cmath>

#include "tenancy/json_text.hpp"
#include "tenancy/rfc3339.hpp"

namespace tenancyd {

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
  } else if (!first_) {
    out_ += ',';
  }
  first_ = false;
}

void JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  first_ = true;
}

void JsonWriter::EndObject() {
  out_ += '}';
  first_ = false;
}

void JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  first_ = true;
}

void JsonWriter::EndArray() {
  out_ += ']';
  first_ = false;
}

void JsonWriter::Key(JsonKey name) {
  Separate();
  out_ += '"';
  out_.append(name.view());
  out_ += "\":";
  after_key_ = true;
}

void JsonWriter::EscapedKey(std::string_view name) {
  Separate();
  Quoted(name);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::Quoted(std::string_view text) { tenancy::AppendJsonString(out_, text); }

void JsonWriter::String(std::string_view text) {
  Separate();
  Quoted(text);
}

void JsonWriter::Int(std::int64_t n) {
  Separate();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_.append(buf, r.ptr);
}

void JsonWriter::Double(double d) {
  if (!std::isfinite(d)) return Null();
  Separate();
  const std::size_t start = out_.size();
  tenancy::AppendShortestDouble(out_, d);
  // "13" would read back as an integer.
  bool integral = true;
  for (std::size_t i = start; i < out_.size(); ++i) integral = integral && out_[i] != '.' && out_[i] != 'e';
  if (integral) out_ += ".0";
}

void JsonWriter::Bool(bool b) {
  Separate();
  out_ += b ? "true" : "false";
}

void JsonWriter::Null() {
  Separate();
  out_ += "null";
}

void JsonWriter::Instant(tenancy::TimePoint t) {
  Separate();
  out_ += '"';
  tenancy::AppendRfc3339(out_, t);  // digits, '-', ':', 'T', '.', 'Z': nothing to escape
  out_ += '"';
}

void JsonWriter::StringOrNull(const std::optional<std::string>& text) {
  if (text) return String(*text);
  Null();
}

void JsonWriter::IntOrNull(const std::optional<std::int64_t>& n) {
  if (n) return Int(*n);
  Null();
}

void JsonWriter::Member(JsonKey name, const std::string& text) {
  Key(name);
  String(text);
}

void JsonWriter::Member(JsonKey name, std::int64_t n) {
  Key(name);
  Int(n);
}

void JsonWriter::Member(JsonKey name, double d) {
  Key(name);
  Double(d);
}

void JsonWriter::Member(JsonKey name, const std::optional<std::string>& text) {
  Key(name);
  StringOrNull(text);
}

void JsonWriter::Member(JsonKey name, const std::optional<std::int64_t>& n) {
  Key(name);
  IntOrNull(n);
}

}  // namespace tenancyd
