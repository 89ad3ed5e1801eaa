// Standard Webhooks signing and verification (webhooks.hpp): HMAC-SHA256
// and base64 from libsodium, signatures compared in constant time.
#include <sodium.h>

#include <array>
#include <charconv>
#include <string>

#include "tenancy/webhooks.hpp"

namespace tenancy {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

std::string Base64(std::span<const unsigned char> bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL sodium writes
  return out;
}

int Base64Index(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes base64 (original alphabet) with or without padding into `out`.
// libsodium insists the unused low bits of the last character are zero;
// the Standard Webhooks libraries (Python's b64decode, Go's lenient
// decoder) ignore them, and their test vectors rely on it, so they are
// cleared first. Returns the decoded length or -1.
long DecodeLenient(std::string_view text, unsigned char* out, std::size_t max_out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.empty() || text.size() % 4 == 1) return -1;
  std::string fixed(text);
  const std::size_t rest = fixed.size() % 4;  // 0, 2 (4 spare bits) or 3 (2 spare bits)
  if (rest != 0) {
    const int idx = Base64Index(fixed.back());
    if (idx < 0) return -1;
    const int mask = rest == 2 ? 0x30 : 0x3c;
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fixed.back() = kAlphabet[idx & mask];
  }
  std::size_t len = 0;
  if (sodium_base642bin(out, max_out, fixed.data(), fixed.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
    return -1;
  return static_cast<long>(len);
}

Mac ComputeMac(std::span<const unsigned char> key, std::string_view id, std::string_view timestamp,
               std::string_view body) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  const auto feed = [&st](std::string_view s) {
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  feed(id);
  feed(".");
  feed(timestamp);
  feed(".");
  feed(body);
  Mac mac{};
  crypto_auth_hmacsha256_final(&st, mac.data());
  sodium_memzero(&st, sizeof st);
  return mac;
}

// Strict decimal Unix seconds: digits only, no sign, no fraction.
bool ParseTimestamp(std::string_view s, std::int64_t* out) noexcept {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

WebhookSecret WebhookSecret::Generate(std::size_t bytes) {
  if (bytes < kMinBytes || bytes > kMaxBytes) bytes = 32;
  WebhookSecret s;
  s.bytes_ = SecretBytes::Random(bytes);
  return s;
}

WebhookSecret WebhookSecret::FromBytes(std::span<const unsigned char> bytes) {
  WebhookSecret s;
  s.bytes_ = SecretBytes::CopyOf(bytes);
  return s;
}

Result<WebhookSecret> WebhookSecret::Parse(std::string_view text) {
  if (text.starts_with(kSecretPrefix)) text.remove_prefix(kSecretPrefix.size());
  if (text.empty()) return Fail(Errc::kInvalidArgument, "webhook secret is empty");
  if (text.size() > 256) return Fail(Errc::kInvalidArgument, "webhook secret is too long");
  SecretBytes buf(text.size());  // decoded is always shorter than the text
  const long n = DecodeLenient(text, buf.data(), buf.size());
  if (n <= 0) return Fail(Errc::kInvalidArgument, "webhook secret is not base64");
  WebhookSecret s;
  s.bytes_ = SecretBytes::CopyOf(buf.bytes().first(static_cast<std::size_t>(n)));
  return s;
}

std::string WebhookSecret::ToString() const {
  return std::string(kSecretPrefix) + Base64(bytes_.bytes());
}

std::string SignWebhook(const WebhookSecret& secret, std::string_view msg_id,
                        std::int64_t timestamp, std::string_view body) {
  const std::string ts = std::to_string(timestamp);
  const Mac mac = ComputeMac(secret.bytes(), msg_id, ts, body);
  return "v1," + Base64(mac);
}

Result<void> VerifyWebhook(std::span<const WebhookSecret* const> secrets,
                           const WebhookHeaders& headers, std::string_view body, TimePoint now,
                           std::chrono::seconds tolerance) {
  if (headers.id.empty()) return Fail(Errc::kInvalidArgument, "missing webhook-id header");
  if (headers.timestamp.empty())
    return Fail(Errc::kInvalidArgument, "missing webhook-timestamp header");
  if (headers.signature.empty())
    return Fail(Errc::kInvalidArgument, "missing webhook-signature header");
  std::int64_t ts = 0;
  if (!ParseTimestamp(headers.timestamp, &ts))
    return Fail(Errc::kInvalidArgument, "webhook-timestamp is not decimal Unix seconds");
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (ts < now_s - tolerance.count())
    return Fail(Errc::kUnauthenticated, "webhook-timestamp is too old");
  if (ts > now_s + tolerance.count())
    return Fail(Errc::kUnauthenticated, "webhook-timestamp is too new");

  std::vector<Mac> expected;
  expected.reserve(secrets.size());
  for (const WebhookSecret* s : secrets)
    if (s != nullptr) expected.push_back(ComputeMac(s->bytes(), headers.id, headers.timestamp, body));

  std::string_view list = headers.signature;
  bool matched = false;
  while (!list.empty()) {
    const std::size_t sp = list.find(' ');
    const std::string_view entry = list.substr(0, sp);
    list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
    if (!entry.starts_with("v1,")) continue;  // other schemes (v1a, v2) are not ours
    std::array<unsigned char, 64> got{};
    if (DecodeLenient(entry.substr(3), got.data(), got.size()) !=
        static_cast<long>(crypto_auth_hmacsha256_BYTES))
      continue;
    for (const Mac& mac : expected)
      matched |= sodium_memcmp(got.data(), mac.data(), mac.size()) == 0;
  }
  if (!matched) return Fail(Errc::kUnauthenticated, "no webhook signature matches");
  return {};
}

Result<void> VerifyWebhook(const WebhookSecret& secret, const WebhookHeaders& headers,
                           std::string_view body, TimePoint now, std::chrono::seconds tolerance) {
  const WebhookSecret* one[] = {&secret};
  return VerifyWebhook(one, headers, body, now, tolerance);
}

}  // namespace tenancy
