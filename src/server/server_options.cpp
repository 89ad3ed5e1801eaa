#include "server_options.hpp"

namespace tenancyd {

using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<void> Validate(const ServerOptions& o) {
  using std::chrono::milliseconds;
  if (o.host.empty() || o.host.size() > 255) return Fail(Errc::kInvalidArgument, "listen host is empty");
  if (o.threads < 1 || o.threads > 256) return Fail(Errc::kInvalidArgument, "threads must be 1-256");
  const auto positive = [](milliseconds d) { return d > milliseconds::zero(); };
  if (!positive(o.read_timeout)) return Fail(Errc::kInvalidArgument, "read timeout must be positive");
  if (!positive(o.idle_timeout)) return Fail(Errc::kInvalidArgument, "idle timeout must be positive");
  if (!positive(o.write_timeout)) return Fail(Errc::kInvalidArgument, "write timeout must be positive");
  if (!positive(o.drain_timeout)) return Fail(Errc::kInvalidArgument, "drain timeout must be positive");
  if (o.linger_timeout < milliseconds::zero())
    return Fail(Errc::kInvalidArgument, "linger timeout must not be negative");
  // Beast keeps the header limit in 32 bits; below 256 no request fits.
  if (o.max_header_bytes < 256 || o.max_header_bytes > (std::size_t{1} << 24))
    return Fail(Errc::kInvalidArgument, "max header bytes must be 256 B - 16 MiB");
  if (o.max_body_bytes > (std::size_t{1} << 32))
    return Fail(Errc::kInvalidArgument, "max body bytes must be at most 4 GiB");
  if (o.pipeline_limit < 1 || o.pipeline_limit > 1024)
    return Fail(Errc::kInvalidArgument, "pipeline limit must be 1-1024");
  if (o.max_connections < 1 || o.max_connections > 1'000'000)
    return Fail(Errc::kInvalidArgument, "max connections must be 1-1000000");
  return {};
}

}  // namespace tenancyd
