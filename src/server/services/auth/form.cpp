// HTTP Basic client authentication (RFC 7617 with RFC 6749 §2.3.1's
// form-urlencoding of id and secret).
#include <sodium.h>

#include <boost/beast/core/string.hpp>

#include "json_input.hpp"
#include "services/auth/auth_service.hpp"

namespace tenancyd {

ClientCredentials::~ClientCredentials() { sodium_memzero(secret.data(), secret.size()); }

std::optional<ClientCredentials> ParseBasicCredentials(std::string_view value) {
  constexpr std::string_view kScheme = "basic";
  if (value.size() <= kScheme.size() + 1 ||
      !boost::beast::iequals(value.substr(0, kScheme.size()), kScheme) || value[kScheme.size()] != ' ')
    return std::nullopt;
  value.remove_prefix(kScheme.size() + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.size() > 1024) return std::nullopt;
  std::string decoded(value.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), value.data(),
                        value.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    sodium_memzero(decoded.data(), decoded.size());
    return std::nullopt;
  }
  decoded.resize(len);
  const auto colon = decoded.find(':');
  std::optional<ClientCredentials> out;
  if (colon != std::string::npos) {
    // Each part was form-urlencoded before encoding: decode them as a form
    // pair would be, so "%3A" in an id or secret survives.
    auto id = ParseForm("i=" + decoded.substr(0, colon), {});
    auto secret = ParseForm("s=" + decoded.substr(colon + 1), {});
    if (id && secret && id->size() == 1 && secret->size() == 1) {
      out.emplace();
      out->id = std::move(id->front().second);
      out->secret = std::move(secret->front().second);
      out->via_basic = true;
    }
    if (secret)
      for (auto& [k, v] : *secret) sodium_memzero(v.data(), v.size());
  }
  sodium_memzero(decoded.data(), decoded.size());
  return out;
}

}  // namespace tenancyd
