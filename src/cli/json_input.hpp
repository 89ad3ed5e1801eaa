// Reading JSON documents named on tenancyctl's command line.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "tenancy/result.hpp"

namespace tenancyctl {

// Reads `source` — a file path, or "-" for standard input — and parses it as
// JSON. kInvalidArgument naming the source and, for a syntax error, the line
// and column; kNotFound when the file cannot be read.
tenancy::Result<boost::json::value> ReadJson(const std::string& source, std::string_view what);

// Prints `value` as one line of JSON to standard output.
void PrintJson(const boost::json::value& value);

}  // namespace tenancyctl
