#include "json_input.hpp"

#include <boost/json/error.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace tenancyctl {
namespace {

// Line and column (1-based) of byte `offset` in `text`.
std::string Position(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

tenancy::Result<boost::json::value> ReadJson(const std::string& source, std::string_view what) {
  std::string text;
  const std::string name = source == "-" ? std::string("standard input") : source;
  if (source == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) return tenancy::Fail(tenancy::Errc::kNotFound, std::string(what) + ": cannot read " + name);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = std::move(buffer).str();
  }
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec && text.find_first_not_of(" \t\r\n", used) != std::string::npos)
    ec = boost::json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec) {
    return tenancy::Fail(tenancy::Errc::kInvalidArgument,
                         std::string(what) + ": " + name + " is not JSON (" + ec.message() + " at " +
                             Position(text, used) + ")");
  }
  return parser.release();
}

void PrintJson(const boost::json::value& value) {
  std::string line = boost::json::serialize(value);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace tenancyctl
