// TZif reader (RFC 8536). A version 2+ file holds a 32-bit block kept for old
// readers, then the same data with 64-bit times, then a footer: the POSIX TZ
// string that extends the table past its last transition. We read the 64-bit
// block and the footer; a version 1 file only has the 32-bit block.
//
// Every count is checked against the bytes actually present before anything
// is read, so a truncated or hostile file yields an error, never a read past
// the end.
#include <cstring>

#include "governance/tz_data.hpp"

namespace tenancy::tz {
namespace {

constexpr std::size_t kHeaderBytes = 44;
// RFC 8536 3.2: UT offsets should lie in [-89999, 93599] (-25 h .. +26 h).
constexpr std::int32_t kMinOffset = -89999;
constexpr std::int32_t kMaxOffset = 93599;

Error Bad(std::string_view what) {
  return Fail(Errc::kInvalidArgument, "malformed TZif data: " + std::string(what));
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t left() const noexcept { return bytes_.size() - pos_; }
  bool Has(std::uint64_t n) const noexcept { return n <= left(); }
  std::span<const std::uint8_t> Take(std::size_t n) noexcept {  // REQUIRES Has(n)
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint8_t U8() noexcept { return bytes_[pos_++]; }
  std::uint32_t U32() noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | bytes_[pos_++];
    return v;
  }
  std::int64_t I64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | bytes_[pos_++];
    return static_cast<std::int64_t>(v);
  }
  std::int64_t Time(int size) noexcept {
    return size == 8 ? I64() : static_cast<std::int64_t>(static_cast<std::int32_t>(U32()));
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

struct Header {
  std::uint8_t version = 0;  // 0 for version 1, else the ASCII digit
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  std::uint64_t DataBytes(int time_size) const noexcept {
    return std::uint64_t{timecnt} * static_cast<std::uint64_t>(time_size) + timecnt +
           std::uint64_t{typecnt} * 6 + charcnt +
           std::uint64_t{leapcnt} * static_cast<std::uint64_t>(time_size + 4) + isstdcnt +
           isutcnt;
  }
};

Result<Header> ReadHeader(Reader& in) {
  if (!in.Has(kHeaderBytes)) return Bad("truncated header");
  auto magic = in.Take(4);
  if (std::memcmp(magic.data(), "TZif", 4) != 0) return Bad("not a TZif file");
  Header h;
  h.version = in.U8();
  if (h.version != 0 && h.version < '2') return Bad("unknown version");
  in.Take(15);  // reserved
  h.isutcnt = in.U32();
  h.isstdcnt = in.U32();
  h.leapcnt = in.U32();
  h.timecnt = in.U32();
  h.typecnt = in.U32();
  h.charcnt = in.U32();
  if (h.typecnt == 0 || h.typecnt > 256) return Bad("type count out of range");
  if (h.charcnt == 0) return Bad("no abbreviations");
  if (h.isutcnt != 0 && h.isutcnt != h.typecnt) return Bad("UT indicator count");
  if (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) return Bad("standard indicator count");
  if (h.leapcnt != 0)
    return Fail(Errc::kInvalidArgument, "leap-second time zones are not supported");
  return h;
}

Result<ZoneData> ReadBlock(Reader& in, const Header& h, int time_size) {
  if (!in.Has(h.DataBytes(time_size))) return Bad("truncated data block");
  ZoneData z;
  z.transitions.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::int64_t t = in.Time(time_size);
    if (!z.transitions.empty() && t <= z.transitions.back())
      return Bad("transition times not ascending");
    z.transitions.push_back(t);
  }
  z.transition_types.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::uint8_t type = in.U8();
    if (type >= h.typecnt) return Bad("transition names an unknown type");
    z.transition_types.push_back(type);
  }
  struct RawType {
    std::int32_t offset;
    std::uint8_t dst, abbreviation;
  };
  std::vector<RawType> raw;
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    const auto offset = static_cast<std::int32_t>(in.U32());
    const std::uint8_t dst = in.U8();
    const std::uint8_t abbreviation = in.U8();
    if (offset < kMinOffset || offset > kMaxOffset) return Bad("UT offset out of range");
    if (dst > 1) return Bad("DST indicator not 0 or 1");
    if (abbreviation >= h.charcnt) return Bad("abbreviation index out of range");
    raw.push_back({offset, dst, abbreviation});
  }
  auto chars = in.Take(h.charcnt);
  if (chars.back() != 0) return Bad("abbreviations not NUL-terminated");
  for (const auto& r : raw) {
    const char* first = reinterpret_cast<const char*>(chars.data()) + r.abbreviation;
    z.types.push_back({r.offset, r.dst == 1, std::string(first)});  // NUL found: checked above
  }
  in.Take(h.isstdcnt + std::size_t{h.isutcnt});  // only matter for POSIX default rules
  return z;
}

}  // namespace

Result<ZoneData> ParseTzif(std::span<const std::uint8_t> bytes) {
  Reader in(bytes);
  auto v1 = ReadHeader(in);
  if (!v1) return v1.error();
  if (v1->version == 0) return ReadBlock(in, *v1, 4);

  // Skip the 32-bit block: the 64-bit one repeats it with full range.
  if (!in.Has(v1->DataBytes(4))) return Bad("truncated version 1 block");
  in.Take(static_cast<std::size_t>(v1->DataBytes(4)));
  auto v2 = ReadHeader(in);
  if (!v2) return v2.error();
  if (v2->version < '2') return Bad("second header is not version 2+");
  auto zone = ReadBlock(in, *v2, 8);
  if (!zone) return zone;

  // Footer: "\n" TZ-string "\n"; an empty string means no rule.
  if (!in.Has(1) || in.U8() != '\n') return Bad("missing footer");
  std::string footer;
  for (;;) {
    if (!in.Has(1)) return Bad("unterminated footer");
    const char c = static_cast<char>(in.U8());
    if (c == '\n') break;
    if (footer.size() >= 255) return Bad("footer too long");
    footer.push_back(c);
  }
  if (!footer.empty()) {
    auto rule = ParsePosixTz(footer);
    if (!rule) return Bad("footer: " + rule.error().message);
    zone->footer = std::move(*rule);
  }
  return zone;
}

}  // namespace tenancy::tz
