// The backup file format (see include/tenancy/backup.hpp for the layout):
// framing of records, the running BLAKE2b checksum, the typed value codec,
// and the metadata record. Shared by the writer, Verify and Restore.
//
// Thread safety: each object is used by one thread.
#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tenancy/backup.hpp"
#include "tenancy/value.hpp"

namespace tenancy::ops::backup {

inline constexpr std::array<std::uint8_t, 8> kMagic = {0x89, 'T', 'N', 'B', 'K', '\r', '\n', 0x1a};
inline constexpr std::size_t kHeaderBytes = 16;  // magic, version, flags
inline constexpr std::size_t kHashBytes = crypto_generichash_BYTES;  // 32

enum class Kind : std::uint8_t {
  kMeta = 'M',
  kTable = 'T',
  kRows = 'R',
  kTableEnd = 'E',
  kEnd = 'Z',
};

// Bounds that keep a damaged length field from asking for gigabytes.
inline constexpr std::size_t kMaxMetaBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxRowsBytes = std::size_t{64} << 20;
// A row batch is flushed once it holds this much.
inline constexpr std::size_t kBatchBytes = std::size_t{256} << 10;

// A data key as the keyring stores it: wrapped under a master key.
struct WrappedKey {
  int version = 0;
  bool primary = false;
  std::string master_key_id{};
  std::int64_t created_at = 0;  // Unix milliseconds
  Blob wrapped{};
};

// The 'M' record.
struct Meta {
  BackupInfo info{};  // tables' row counts and the file's size/checksum filled later
  std::vector<WrappedKey> keys{};
  std::optional<boost::json::object> config{};
};

std::string EncodeMeta(const Meta& meta);
// kDataCorrupted naming what is wrong.
Result<Meta> DecodeMeta(std::string_view json);

// -- values --
// Appends one value: tag, then 8 bytes or a u32 length and the bytes.
void AppendValue(Blob& out, const Param& value);
// Reads one value at `p` (advanced past it); text and blobs borrow from the
// buffer. kDataCorrupted for an unknown tag or a value past `end`.
Result<Param> ReadValue(const std::uint8_t*& p, const std::uint8_t* end);

void PutU32(Blob& out, std::uint32_t v);
void PutU64(Blob& out, std::uint64_t v);
std::uint32_t GetU32(const std::uint8_t* p) noexcept;
std::uint64_t GetU64(const std::uint8_t* p) noexcept;

std::string Hex(std::span<const std::uint8_t> bytes);

// Writes records to a stream, hashing every byte.
class RecordWriter {
 public:
  explicit RecordWriter(std::ostream& out);
  Result<void> Header();
  Result<void> Record(Kind kind, std::span<const std::uint8_t> payload);
  // Writes the 'Z' record (the hash of everything before it); returns it.
  Result<std::array<std::uint8_t, kHashBytes>> Finish();
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  Result<void> Put(const void* data, std::size_t n);
  std::ostream& out_;
  crypto_generichash_state state_{};
  std::uint64_t bytes_ = 0;
};

// Receives the body of a backup while it is parsed.
class BodySink {
 public:
  virtual Result<void> OnTable(std::size_t index) = 0;
  // The row's values borrow from the parser's buffer: valid during the call.
  virtual Result<void> OnRow(std::span<const Param> values) = 0;

 protected:
  ~BodySink() = default;
};

// Reads a backup front to back, checking everything it reads.
class Parser {
 public:
  explicit Parser(std::istream& in);
  // Magic and version: kInvalidArgument (magic), kUnimplemented (version),
  // kDataCorrupted (too short).
  Result<void> Header();
  // The metadata record.
  Result<Meta> ReadMeta();
  // Every table's records, then the end record: the checksum must match and
  // nothing may follow. Fills `meta.info.tables[i].rows`.
  Result<void> ReadBody(Meta& meta, BodySink& sink);

  const std::array<std::uint8_t, kHashBytes>& checksum() const noexcept { return checksum_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  Result<void> Get(void* data, std::size_t n);
  // Reads the next record header; snapshots the hash before it.
  Result<Kind> NextKind(std::size_t max_payload, std::size_t* length);

  std::istream& in_;
  crypto_generichash_state state_{};
  crypto_generichash_state before_record_{};
  std::uint64_t bytes_ = 0;
  Blob buffer_;
  std::array<std::uint8_t, kHashBytes> checksum_{};
};

}  // namespace tenancy::ops::backup
