// The public conformance data (../shared/conformance, see its README) for
// the governance tests: where it is, and reading it. Without the folder a
// conformance test exits with code 77, which ctest reports as skipped —
// never a silent pass. The files are read in place, never copied.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#ifndef TENANCY_CONFORMANCE_DIR
#define TENANCY_CONFORMANCE_DIR ""
#endif

namespace tenancy::testing {

// The conformance folder: $TENANCY_CONFORMANCE_DIR when set, else the one
// the build named. Exits the test with 77 (skipped) when it does not exist.
inline std::filesystem::path ConformanceDirOrSkip() {
  const char* env = std::getenv("TENANCY_CONFORMANCE_DIR");
  const std::filesystem::path dir = env && *env ? env : TENANCY_CONFORMANCE_DIR;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "SKIPPED: no conformance data at '%s'\n", dir.string().c_str());
    std::fflush(stderr);
    std::_Exit(77);
  }
  return dir;
}

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline boost::json::value ReadJson(const std::filesystem::path& path) {
  boost::json::parse_options options;
  options.max_depth = 1024;
  boost::system::error_code ec;
  auto v = boost::json::parse(ReadText(path), ec, {}, options);
  if (ec) throw std::runtime_error(path.string() + ": " + ec.message());
  return v;
}

}  // namespace tenancy::testing
