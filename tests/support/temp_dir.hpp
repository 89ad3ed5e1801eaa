// A fresh directory per test, removed afterwards (kept when
// TENANCY_KEEP_TEST_DIRS is set, for post-mortems).
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace tenancy::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const char* root = std::getenv("TENANCY_TEST_TMP");
    std::filesystem::path base = root ? root : std::filesystem::temp_directory_path();
    path_ = base / ("t" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    if (!std::getenv("TENANCY_KEEP_TEST_DIRS")) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tenancy::testing
