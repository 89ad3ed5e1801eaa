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

StreamLogSink::StreamLogSink(std::ostream& out, StreamLogOptions options)
    : out_(&out), options_(options) {
  try {
    batch_.reserve(options_.batch_bytes);
  } catch (...) {
    options_.batch_bytes = 0;  // no room for a batch: each line at once
  }
}

StreamLogSink::~StreamLogSink() { Flush(); }

void StreamLogSink::WriteLocked(std::string_view text) noexcept {
  try {
    out_->write(text.data(), static_cast<std::streamsize>(text.size()));
    if (options_.flush_each_line) out_->flush();
  } catch (...) {
    // A stream set to throw: the lines are lost, the caller is not.
  }
}

void StreamLogSink::Flush() noexcept {
  std::lock_guard lock(mu_);
  if (batch_.empty()) return;
  WriteLocked(batch_);
  batch_.clear();
}

void StreamLogSink::Write(const LogLine& line) noexcept {
  const std::size_t size = line.text.size() + 1;
  std::lock_guard lock(mu_);
  if (options_.batch_bytes > 0) {
    // Appending within the reserved capacity never allocates, so never throws.
    if (batch_.size() + size > options_.batch_bytes && !batch_.empty()) {
      WriteLocked(batch_);
      batch_.clear();
    }
    if (size <= options_.batch_bytes) {
      batch_.append(line.text);
      batch_ += '\n';
      if (line.level >= LogLevel::kWarn) {
        WriteLocked(batch_);
        batch_.clear();
      }
      return;
    }
    // A line longer than a whole batch is written on its own.
  }
  if (!Terminated(line)) return;  // out of memory: the line is lost, the caller is not
  WriteLocked(line_buffer);
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
