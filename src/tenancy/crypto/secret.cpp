#include "tenancy/secret.hpp"

#include <sodium.h>

#include <cstring>
#include <utility>

#include "crypto/secret_pool.hpp"

namespace tenancy {

SecretBytes::SecretBytes(std::size_t size) : data_(detail::AllocateSecret(size)), size_(size) {}

SecretBytes SecretBytes::Random(std::size_t size) {
  SecretBytes s(size);
  if (size) randombytes_buf(s.data_, size);
  return s;
}

SecretBytes SecretBytes::CopyOf(std::span<const unsigned char> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    detail::FreeSecret(data_, size_);  // wipes; accepts null
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { detail::FreeSecret(data_, size_); }

bool SecretBytes::Equals(std::span<const unsigned char> other) const noexcept {
  return other.size() == size_ && (size_ == 0 || sodium_memcmp(data_, other.data(), size_) == 0);
}

void Wipe(std::span<unsigned char> bytes) noexcept {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

}  // namespace tenancy
