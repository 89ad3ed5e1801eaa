// The stream and file sinks.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tenancy/log.hpp"

namespace tenancy {

void StreamLogSink::Write(const LogLine& line) noexcept {
  try {
    std::lock_guard lock(mu_);
    out_->write(line.text.data(), static_cast<std::streamsize>(line.text.size()));
    out_->put('\n');
    if (flush_) out_->flush();
  } catch (...) {
    // A stream set to throw: the line is lost, the caller is not.
  }
}

Result<std::shared_ptr<FileLogSink>> FileLogSink::Open(const std::string& path) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "the log file path is empty");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Fail(Errc::kStorage, "cannot open log file '" + path + "': " + std::strerror(errno));
  return std::shared_ptr<FileLogSink>(new FileLogSink(fd));
}

FileLogSink::~FileLogSink() { ::close(fd_); }

void FileLogSink::Write(const LogLine& line) noexcept {
  // The line and its end in one buffer, so one write(2) appends both.
  thread_local std::string buf;
  try {
    buf.assign(line.text);
    buf += '\n';
  } catch (...) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(mu_);
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::write(fd_, buf.data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace tenancy
