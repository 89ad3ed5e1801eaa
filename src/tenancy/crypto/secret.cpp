#include "tenancy/secret.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace tenancy {
namespace {

unsigned char* Allocate(std::size_t size) {
  if (sodium_init() < 0) std::abort();
  if (size == 0) return nullptr;
  auto* p = static_cast<unsigned char*>(sodium_malloc(size));
  if (!p) std::abort();
  sodium_memzero(p, size);
  return p;
}

}  // namespace

SecretBytes::SecretBytes(std::size_t size) : data_(Allocate(size)), size_(size) {}

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
    sodium_free(data_);  // wipes; accepts null
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { sodium_free(data_); }

bool SecretBytes::Equals(std::span<const unsigned char> other) const noexcept {
  return other.size() == size_ && (size_ == 0 || sodium_memcmp(data_, other.data(), size_) == 0);
}

void Wipe(std::span<unsigned char> bytes) noexcept {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

}  // namespace tenancy
