// Conditional requests (RFC 9110 §13): entity tags for responses whose body
// is the representation, and the If-None-Match test that turns a repeated
// request into 304 Not Modified.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace tenancyd {

// A strong entity tag for `body`: a quoted hex BLAKE2b-128 of its bytes.
std::string EntityTag(std::string_view body);

// True when the If-None-Match header `header` names `etag` or is "*".
// Weak tags compare by their opaque part: If-None-Match uses the weak
// comparison (RFC 9110 §13.1.2).
bool MatchesIfNoneMatch(std::string_view header, std::string_view etag);

}  // namespace tenancyd
