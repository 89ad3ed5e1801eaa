#include "crypto/secret_pool.hpp"

#include <sodium.h>

#include <cstdlib>
#include <mutex>
#include <vector>

namespace tenancy::detail {
namespace {

constexpr std::size_t kSlabBytes = 64 * 1024;
constexpr std::size_t kCellsPerSlab = kSlabBytes / kSecretCellBytes;

class SlabPool {
 public:
  unsigned char* Take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) AddSlab();
    unsigned char* cell = free_.back();
    free_.pop_back();
    return cell;
  }

  // The cell was wiped by the caller; capacity for it was reserved when its
  // slab was added, so this never allocates.
  void Give(unsigned char* cell) noexcept {
    std::lock_guard lock(mu_);
    free_.push_back(cell);
  }

 private:
  void AddSlab() {
    auto* slab = static_cast<unsigned char*>(sodium_malloc(kSlabBytes));
    if (!slab) std::abort();
    sodium_memzero(slab, kSlabBytes);
    ++slabs_;
    free_.reserve(slabs_ * kCellsPerSlab);
    for (std::size_t i = kCellsPerSlab; i-- > 0;) free_.push_back(slab + i * kSecretCellBytes);
  }

  std::mutex mu_;
  std::vector<unsigned char*> free_;
  std::size_t slabs_ = 0;
};

// Never destroyed: secrets in static objects may be freed after main().
SlabPool& Pool() {
  static SlabPool* pool = new SlabPool;
  return *pool;
}

}  // namespace

unsigned char* AllocateSecret(std::size_t size) {
  if (sodium_init() < 0) std::abort();
  if (size == 0) return nullptr;
  if (size <= kSecretCellBytes) return Pool().Take();  // cells are wiped when given back
  auto* p = static_cast<unsigned char*>(sodium_malloc(size));
  if (!p) std::abort();
  sodium_memzero(p, size);
  return p;
}

void FreeSecret(unsigned char* p, std::size_t size) noexcept {
  if (!p) return;
  if (size <= kSecretCellBytes) {
    sodium_memzero(p, kSecretCellBytes);
    Pool().Give(p);
  } else {
    sodium_free(p);  // wipes
  }
}

}  // namespace tenancy::detail
