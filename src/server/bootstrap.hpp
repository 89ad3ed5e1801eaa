// The bootstrap platform-operator credential: the first key that can use
// the control plane, so a fresh installation can be administered at all.
//
// On start, when no active platform key exists and the key file is absent,
// a platform_operator API key is created and written ONCE to the file
// (default <data>/bootstrap-operator.key), mode 0600, created exclusively
// and moved into place atomically. The file is never rewritten: present, it
// is left alone; removed after the operator stored the key elsewhere, it
// stays removed (an active platform key exists). The key is never logged.
//
// Thread safety: call once at start-up.
#pragma once

#include <string>

#include "tenancy/auth.hpp"

namespace tenancyd {

struct BootstrapResult {
  bool created = false;  // a key was created and written now
  std::string path{};
};

// kStorage when the file cannot be written (the key just created is then
// revoked, so no credential exists that nobody holds).
tenancy::Result<BootstrapResult> EnsureBootstrapOperator(tenancy::Authenticator& auth,
                                                         const std::string& path);

}  // namespace tenancyd
