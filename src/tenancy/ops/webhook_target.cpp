// Webhook targets (webhooks.hpp): URL syntax, address classes and the SSRF
// guard. Addresses are classified after resolution, so every spelling of an
// address (decimal, hex, mapped IPv6) meets the same table.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string>

#include "tenancy/webhooks.hpp"

namespace tenancy {
namespace {

constexpr std::size_t kMaxUrlBytes = 2048;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool InV4(std::uint32_t a, std::uint32_t net, int bits) noexcept {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == net;
}

constexpr std::uint32_t V4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

AddressClass ClassifyV4(std::uint32_t a) noexcept {
  if (InV4(a, V4(0, 0, 0, 0), 8)) return AddressClass::kUnspecified;
  if (InV4(a, V4(127, 0, 0, 0), 8)) return AddressClass::kLoopback;
  if (InV4(a, V4(10, 0, 0, 0), 8) || InV4(a, V4(172, 16, 0, 0), 12) ||
      InV4(a, V4(192, 168, 0, 0), 16))
    return AddressClass::kPrivate;
  if (InV4(a, V4(100, 64, 0, 0), 10)) return AddressClass::kSharedCgnat;
  if (InV4(a, V4(169, 254, 0, 0), 16)) return AddressClass::kLinkLocal;
  if (InV4(a, V4(224, 0, 0, 0), 4)) return AddressClass::kMulticast;
  if (InV4(a, V4(240, 0, 0, 0), 4) ||      // reserved, and 255.255.255.255
      InV4(a, V4(192, 0, 0, 0), 24) ||     // IETF protocol assignments
      InV4(a, V4(192, 0, 2, 0), 24) ||     // documentation (TEST-NET-1..3)
      InV4(a, V4(198, 51, 100, 0), 24) || InV4(a, V4(203, 0, 113, 0), 24) ||
      InV4(a, V4(198, 18, 0, 0), 15))      // benchmarking
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

std::uint32_t V4At(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

AddressClass ClassifyV6(const unsigned char* b) noexcept {
  static constexpr unsigned char kZero[16] = {};
  const bool first12_zero = std::memcmp(b, kZero, 12) == 0;
  if (std::memcmp(b, kZero, 16) == 0) return AddressClass::kUnspecified;
  if (first12_zero && b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 1)
    return AddressClass::kLoopback;
  // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
  // translated ::ffff:0:a.b.c.d and NAT64 64:ff9b::a.b.c.d all reach (or are
  // treated by stacks as) the IPv4 address: judge that one.
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr unsigned char kTranslated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (first12_zero || std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kTranslated, 12) == 0 ||
      std::memcmp(b, kNat64, 12) == 0)
    return ClassifyV4(V4At(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) {  // 6to4 2002:a.b.c.d::/48
    const AddressClass inner = ClassifyV4(V4At(b + 2));
    if (inner != AddressClass::kPublic) return inner;
  }
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kUniqueLocal;  // site-local
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kUniqueLocal;
  if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||  // documentation
      (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) ||        // Teredo
      (b[0] == 0x01 && b[1] == 0 && std::memcmp(b + 2, kZero, 6) == 0) ||  // discard 100::/64
      (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b))       // local NAT64
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

bool IsNumericHost(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool ValidHostChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

}  // namespace

std::string_view ToString(AddressClass c) noexcept {
  switch (c) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kSharedCgnat: return "shared (CGNAT)";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kUniqueLocal: return "unique local";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kReserved: return "reserved";
  }
  return "unknown";
}

Result<AddressClass> ClassifyAddress(std::string_view ip) {
  if (ip.size() > 64) return Fail(Errc::kInvalidArgument, "not a numeric IP address");
  const std::string s(ip);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return ClassifyV4(V4At(buf));
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return ClassifyV6(buf);
  return Fail(Errc::kInvalidArgument, "not a numeric IP address");
}

bool TargetPolicy::Allows(AddressClass c) const noexcept {
  switch (c) {
    case AddressClass::kPublic: return true;
    case AddressClass::kLoopback: return allow_loopback;
    case AddressClass::kPrivate:
    case AddressClass::kSharedCgnat:
    case AddressClass::kUniqueLocal: return allow_private;
    case AddressClass::kLinkLocal: return allow_link_local;
    case AddressClass::kUnspecified:
    case AddressClass::kMulticast:
    case AddressClass::kReserved: return false;
  }
  return false;
}

HostResolver SystemResolver() {
  return [](std::string_view host) -> Result<std::vector<std::string>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string name(host);
    if (const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res); rc != 0)
      return Fail(Errc::kUnavailable, "cannot resolve webhook host '" + name + "': " +
                                          gai_strerror(rc));
    std::vector<std::string> out;
    for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* src = nullptr;
      if (p->ai_family == AF_INET)
        src = &reinterpret_cast<const sockaddr_in*>(p->ai_addr)->sin_addr;
      else if (p->ai_family == AF_INET6)
        src = &reinterpret_cast<const sockaddr_in6*>(p->ai_addr)->sin6_addr;
      if (src && inet_ntop(p->ai_family, src, text, sizeof text) &&
          std::find(out.begin(), out.end(), text) == out.end())
        out.emplace_back(text);
    }
    freeaddrinfo(res);
    return out;
  };
}

Result<WebhookTarget> ParseWebhookUrl(std::string_view url) {
  if (url.empty() || url.size() > kMaxUrlBytes)
    return Fail(Errc::kInvalidArgument, "webhook URL must be 1..2048 bytes");
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f)
      return Fail(Errc::kInvalidArgument, "webhook URL contains spaces or control characters");
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) return Fail(Errc::kInvalidArgument, "webhook URL has no scheme");
  WebhookTarget t;
  t.scheme = Lower(url.substr(0, colon));
  if (t.scheme != "http" && t.scheme != "https")
    return Fail(Errc::kInvalidArgument, "webhook URL scheme must be http or https");
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos)
    return Fail(Errc::kInvalidArgument, "webhook URL may not have a fragment");
  const std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return Fail(Errc::kInvalidArgument, "webhook URL may not carry credentials");
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Fail(Errc::kInvalidArgument, "webhook URL has an unterminated IPv6 address");
    t.host = Lower(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(Errc::kInvalidArgument, "webhook URL host is malformed");
      port_text = after.substr(1);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET6, t.host.c_str(), buf) != 1)
      return Fail(Errc::kInvalidArgument, "webhook URL has an invalid IPv6 address");
  } else {
    const std::size_t pc = authority.rfind(':');
    t.host = Lower(authority.substr(0, pc));
    if (pc != std::string_view::npos) port_text = authority.substr(pc + 1);
    if (t.host.empty() || t.host.size() > 253 ||
        !std::all_of(t.host.begin(), t.host.end(), ValidHostChar))
      return Fail(Errc::kInvalidArgument, "webhook URL host is malformed");
  }
  if (t.host.empty()) return Fail(Errc::kInvalidArgument, "webhook URL has no host");
  t.port = t.scheme == "https" ? 443 : 80;
  if (!port_text.empty() || (authority.size() > 0 && authority.back() == ':')) {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return Fail(Errc::kInvalidArgument, "webhook URL port is malformed");
    const int port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) return Fail(Errc::kInvalidArgument, "webhook URL port is out of range");
    t.port = static_cast<std::uint16_t>(port);
  }
  t.target = target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target)
                                                            : std::string(target));
  return t;
}

Result<WebhookTarget> CheckWebhookTarget(std::string_view url, const TargetPolicy& policy,
                                         const HostResolver& resolver) {
  auto t = ParseWebhookUrl(url);
  if (!t) return t.error();
  if (IsNumericHost(t->host)) {
    t->addresses = {t->host};
  } else {
    auto addrs = resolver ? resolver(t->host) : SystemResolver()(t->host);
    if (!addrs) return addrs.error();
    t->addresses = std::move(*addrs);
  }
  if (t->addresses.empty())
    return Fail(Errc::kUnavailable, "webhook host '" + t->host + "' has no addresses");
  for (const auto& a : t->addresses) {
    auto cls = ClassifyAddress(a);
    if (!cls) return Fail(Errc::kPermissionDenied, "webhook host '" + t->host + "' resolved to a non-address");
    if (!policy.Allows(*cls))
      return Fail(Errc::kPermissionDenied, "webhook host '" + t->host + "' resolves to a " +
                                               std::string(ToString(*cls)) +
                                               " address, which the target policy refuses");
  }
  return t;
}

}  // namespace tenancy
