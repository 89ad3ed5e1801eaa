// The stream and file sinks.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tenancy/log.hpp"

namespace tenancy {

namespace {

// The line and its end in one buffer: on an unbuffered stream (std::cerr)
// that is one write(2) per line rather than two.
thread_local std::string line_buffer;

bool Terminated(const LogLine& line) noexcept {
  try {
    line_buffer.assign(line.text);
    line_buffer += '\n';
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

void StreamLogSink::Write(const LogLine& line) noexcept {
  if (!Terminated(line)) return;  // out of memory: the line is lost, the caller is not
  try {
    std::lock_guard lock(mu_);
    out_->write(line_buffer.data(), static_cast<std::streamsize>(line_buffer.size()));
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
  if (!Terminated(line)) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::string& buf = line_buffer;
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
