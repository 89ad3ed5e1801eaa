// tenancy/secret.hpp — bytes that must never leak: keys and their kin.
//
// `SecretBytes` keeps its bytes in memory from libsodium's guarded allocator
// (sodium_malloc: guard pages, locked against swapping where the system
// allows) and wipes them when freed. Secrets of up to 64 bytes (keys) share
// guarded slabs rather than a region each, so a process may hold millions
// of them within the system's limit on memory mappings. It is move-only and has no printing or
// string conversion, so a key cannot reach a log line or an error message by
// accident.
//
// Thread safety: a value; distinct objects may be used from distinct threads.
#pragma once

#include <cstddef>
#include <span>

#include "tenancy/export.hpp"

namespace tenancy {

class TENANCY_EXPORT SecretBytes {
 public:
  SecretBytes() noexcept = default;
  // `size` zero bytes in guarded memory. Aborts if the allocation fails (a
  // key with nowhere safe to live is not worth running on).
  explicit SecretBytes(std::size_t size);
  // `size` bytes from libsodium's CSPRNG.
  static SecretBytes Random(std::size_t size);
  // A copy of `bytes` in guarded memory.
  static SecretBytes CopyOf(std::span<const unsigned char> bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  unsigned char* data() noexcept { return data_; }
  const unsigned char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const unsigned char> bytes() const noexcept { return {data_, size_}; }

  // Constant-time comparison (sodium_memcmp).
  bool Equals(std::span<const unsigned char> other) const noexcept;

 private:
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Wipes `bytes` (sodium_memzero); for plain buffers that held a secret.
TENANCY_EXPORT void Wipe(std::span<unsigned char> bytes) noexcept;

}  // namespace tenancy
