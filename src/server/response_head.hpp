// A response's head as HTTP/1.1 text: the status line, every field as
// "Name: value", and the blank line. What Beast's serializer writes for the
// same message, byte for byte (response_head_test.cpp compares the two),
// without walking its composite buffer sequence: ~800 instructions for a
// small response instead of ~5,400 (docs/load-benchmarks.md).
//
// REQUIRES: the message is ready to send (prepare_payload done); the
// status code has three digits, as Beast's serializer also assumes.
//
// Thread safety: a pure function.
#pragma once

#include <string>

#include "http.hpp"

namespace tenancyd {

// Appends the head of `response` to `out`.
void AppendResponseHead(std::string& out, const Response& response);

}  // namespace tenancyd
