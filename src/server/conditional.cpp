#include "conditional.hpp"

#include <sodium.h>

namespace tenancyd {

std::string EntityTag(std::string_view body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  std::string tag = "\"";  // appended, not "\"" + ...: g++ 12 -O2 warns falsely on that (-Wrestrict)
  tag.append(hex, sizeof hash * 2);
  tag += '"';
  return tag;
}

bool MatchesIfNoneMatch(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(pos, end - pos);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace tenancyd
