// Guarded memory for small secrets, shared.
//
// A key in its own sodium_malloc() region costs several memory mappings
// (the region, its guard pages, the canary page) and as many system calls.
// Linux caps a process at 65,530 mappings by default, so a server holding
// the keys of ~15,000 tenants would abort. Secrets of up to kSecretCellBytes
// therefore live in cells of 64 KiB slabs, each slab one sodium_malloc()
// region (guard pages around it, locked against swapping where allowed);
// larger secrets keep a region of their own. A freed cell is wiped before
// anyone can take it again. Slabs are never returned to the system.
//
// Thread safety: both functions may be called from any thread.
#pragma once

#include <cstddef>

namespace tenancy::detail {

inline constexpr std::size_t kSecretCellBytes = 64;

// `size` zero bytes of guarded memory; null for size 0. Aborts if the
// system has no memory left to give.
unsigned char* AllocateSecret(std::size_t size);

// Wipes and releases what AllocateSecret(size) returned; accepts null.
void FreeSecret(unsigned char* p, std::size_t size) noexcept;

}  // namespace tenancy::detail
