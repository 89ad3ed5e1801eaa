#include "config_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <iterator>

#include "problem.hpp"

namespace tenancyd {
namespace json = boost::json;
using tenancy::Errc;
using tenancy::Fail;

namespace {
constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
}  // namespace

tenancy::Result<std::vector<Setting>> ParseConfigJson(std::string_view text, SettingNames names) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 4;
  const json::value v = json::parse(text, ec, {}, opts);
  if (ec) return Fail(Errc::kInvalidArgument, "config file is not valid JSON: " + ec.message());
  if (!v.is_object()) return Fail(Errc::kInvalidArgument, "config file must hold a JSON object");
  std::vector<Setting> out;
  for (const auto& [key_view, value] : v.as_object()) {
    const std::string_view key(key_view.data(), key_view.size());
    std::string shown = "'";  // appended: g++ 12 -O2 warns falsely on "'" + std::string (-Wrestrict)
    shown += SafeText(key, 64);
    shown += '\'';
    if (!names.is_known(key)) return Fail(Errc::kInvalidArgument, "config file: unknown key " + shown);
    if (names.is_switch(key)) {
      if (!value.is_bool())
        return Fail(Errc::kInvalidArgument, "config file: key " + shown + " must be true or false");
      out.emplace_back(std::string(key), value.as_bool() ? "true" : "false");
    } else if (value.is_string()) {
      out.emplace_back(std::string(key), std::string(value.as_string()));
    } else if (value.is_int64() || value.is_uint64()) {
      out.emplace_back(std::string(key), json::serialize(value));
    } else {
      return Fail(Errc::kInvalidArgument, "config file: key " + shown + " must be a string or an integer");
    }
  }
  return out;
}

tenancy::Result<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Errc::kNotFound, "cannot read config file " + path);
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
      return Fail(Errc::kInvalidArgument, "config file " + path + " is larger than 1 MiB");
  }
  return text;
}

}  // namespace tenancyd
