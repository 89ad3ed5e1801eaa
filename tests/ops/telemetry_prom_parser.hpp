// A strict reader of the Prometheus text exposition format 0.0.4, for the
// metrics tests: it refuses anything the format's grammar does not allow
// (unknown escapes, a TYPE after its samples, a family split in two,
// duplicate HELP/TYPE/series, malformed names and numbers), so a test that
// parses the registry's output checks it against the format.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tenancy::testing {

struct PromSample {
  std::string name;  // with any _bucket/_sum/_count suffix
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string help;
  std::string type;
  std::vector<PromSample> samples;
};

struct PromText {
  std::vector<std::string> order;  // family names as they appear
  std::map<std::string, PromFamily> families;
  const PromFamily& at(const std::string& name) const { return families.at(name); }
};

class PromParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace prom_detail {

inline bool IsMetricNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}
inline bool IsLabelNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && c >= '0' && c <= '9');
}

inline std::string ReadName(std::string_view line, std::size_t& i, bool metric) {
  const std::size_t start = i;
  while (i < line.size() &&
         (metric ? IsMetricNameChar(line[i], i == start) : IsLabelNameChar(line[i], i == start)))
    ++i;
  if (i == start) throw PromParseError("expected a name in: " + std::string(line));
  return std::string(line.substr(start, i - start));
}

// Go's ParseFloat as Prometheus accepts it, strictly: the whole token.
inline double ReadNumber(std::string_view token) {
  if (token == "+Inf" || token == "Inf") return INFINITY;
  if (token == "-Inf") return -INFINITY;
  if (token == "NaN") return NAN;
  if (token.empty()) throw PromParseError("empty number");
  std::string s(token);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) throw PromParseError("bad number: " + s);
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      throw PromParseError("bad number: " + s);
  return v;
}

// Family name a sample belongs to, given the declared types.
inline std::string FamilyOf(const std::string& sample, const std::map<std::string, PromFamily>& f) {
  if (f.contains(sample) && f.at(sample).type != "histogram") return sample;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.size() > suffix.size() && sample.ends_with(suffix)) {
      const std::string base = sample.substr(0, sample.size() - suffix.size());
      if (f.contains(base) && f.at(base).type == "histogram") return base;
    }
  }
  throw PromParseError("sample without a declared family: " + sample);
}

}  // namespace prom_detail

inline PromText ParsePrometheus(std::string_view text) {
  using namespace prom_detail;
  PromText out;
  if (!text.empty() && text.back() != '\n') throw PromParseError("text does not end in a newline");
  std::set<std::string> helped;
  std::set<std::string> closed;  // families whose samples ended
  std::string current;            // family of the previous sample
  std::set<std::string> series;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::size_t i = 7;
      const std::string name = ReadName(line, i, true);
      if (i >= line.size() || line[i] != ' ') throw PromParseError("no space after name");
      const std::string_view rest = line.substr(i + 1);
      if (!out.families.contains(name)) out.order.push_back(name);
      auto& fam = out.families[name];
      if (closed.contains(name) || (!fam.samples.empty()))
        throw PromParseError("HELP/TYPE after samples of " + name);
      if (line[2] == 'H') {
        if (!helped.insert(name).second) throw PromParseError("second HELP for " + name);
        std::string help;
        for (std::size_t k = 0; k < rest.size(); ++k) {
          if (rest[k] != '\\') {
            help += rest[k];
            continue;
          }
          if (++k == rest.size()) throw PromParseError("dangling backslash in HELP");
          if (rest[k] == '\\')
            help += '\\';
          else if (rest[k] == 'n')
            help += '\n';
          else
            throw PromParseError("bad escape in HELP");
        }
        fam.help = help;
      } else {
        if (!fam.type.empty()) throw PromParseError("second TYPE for " + name);
        const std::string type(rest);
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped")
          throw PromParseError("bad TYPE " + type);
        fam.type = type;
      }
      continue;
    }
    if (line.starts_with("#")) continue;  // a comment
    PromSample s;
    std::size_t i = 0;
    s.name = ReadName(line, i, true);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        const std::string label = ReadName(line, i, false);
        if (line.substr(i, 2) != "=\"") throw PromParseError("expected =\" after " + label);
        i += 2;
        std::string value;
        while (true) {
          if (i >= line.size()) throw PromParseError("unterminated label value");
          const char c = line[i++];
          if (c == '"') break;
          if (c != '\\') {
            value += c;
            continue;
          }
          if (i >= line.size()) throw PromParseError("dangling backslash");
          const char e = line[i++];
          if (e == '\\')
            value += '\\';
          else if (e == '"')
            value += '"';
          else if (e == 'n')
            value += '\n';
          else
            throw PromParseError("bad escape in label value");
        }
        if (!s.labels.emplace(label, value).second) throw PromParseError("label twice: " + label);
        if (i < line.size() && line[i] == ',') {
          ++i;
          continue;
        }
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        throw PromParseError("expected , or } in: " + std::string(line));
      }
    }
    if (i >= line.size() || line[i] != ' ') throw PromParseError("expected a space before value");
    ++i;
    const std::size_t sp = line.find(' ', i);
    s.value = ReadNumber(line.substr(i, sp == std::string_view::npos ? sp : sp - i));
    if (sp != std::string_view::npos) {  // an optional integer timestamp
      const std::string ts(line.substr(sp + 1));
      if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string::npos)
        throw PromParseError("bad timestamp");
    }
    const std::string family = FamilyOf(s.name, out.families);
    if (family != current) {
      if (closed.contains(family)) throw PromParseError("samples of " + family + " split");
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "\x1f" + k + "\x1e" + v;
    if (!series.insert(key).second) throw PromParseError("duplicate series " + s.name);
    out.families[family].samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace tenancy::testing
