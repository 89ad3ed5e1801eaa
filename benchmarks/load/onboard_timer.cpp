// onboard_timer: the Onboarding case of the load benchmarks (run_load.sh).
// Times, against a running tenancyd, the way from the onboarding API call to
// the tenant's first booked ride, over one keep-alive connection:
//
//   POST /v1/tenants (the platform operator's key) → the admin's API key,
//   then the booking story as that admin (booking_story.hpp): zone,
//   pricing, a vehicle, a driver, its location and availability, a quote,
//   a booked ride that dispatch assigned to the driver.
//
// Each run onboards a new tenant ("onb-<model>-<pid>-<n>") in the model
// asked for; the clock runs from the first byte of the onboarding request
// to the last byte of the booking's answer (9 requests). A run that fails
// any step fails the program: a time of a story that did not happen means
// nothing.
//
//   onboard_timer --port P --operator-key-file F [--model shared|database]
//                 [--runs N] [--host 127.0.0.1]
//
// Prints one JSON object on stdout:
//   {"model": "shared", "runs": N, "ms": [..per run..], "median_ms": m,
//    "min_ms": a, "max_ms": b}
// Exit 1 on a failed run or connection, 2 on a usage error.
//
// Thread safety: a single-threaded program.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "booking_story.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using tenancy::Errc;
using tenancy::Error;
using tenancy::Result;

constexpr std::chrono::seconds kCallTimeout{30};

// One keep-alive connection to the server; reconnects if the server closed
// it (e.g. after an error answer).
class Client {
 public:
  Client(std::string host, unsigned short port) : host_(std::move(host)), port_(port), stream_(ioc_) {}

  Result<json::value> Call(std::string_view method, std::string_view target, std::string_view bearer,
                           std::string_view body, std::string_view idempotency_key) {
    if (!connected_)
      if (auto r = Connect(); !r) return r.error();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::authorization, "Bearer " + std::string(bearer));
    if (!idempotency_key.empty()) req.set("Idempotency-Key", idempotency_key);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string(body);
    }
    req.prepare_payload();
    beast::error_code ec;
    stream_.expires_after(kCallTimeout);
    http::write(stream_, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream_, buffer_, res, ec);
    if (ec) {
      connected_ = false;
      return Error(Errc::kUnavailable,
                   std::string(method) + " " + std::string(target) + ": " + ec.message());
    }
    if (!res.keep_alive()) Disconnect();
    if (res.result_int() < 200 || res.result_int() >= 300)
      return Error(Errc::kInternal, std::string(method) + " " + std::string(target) + " answered " +
                                        std::to_string(res.result_int()) + ": " + res.body());
    json::value v = res.body().empty() ? json::value() : json::parse(res.body(), ec);
    if (ec) return Error(Errc::kInternal, std::string(target) + " answered malformed JSON");
    return v;
  }

 private:
  Result<void> Connect() {
    beast::error_code ec;
    const auto address = net::ip::make_address(host_, ec);
    if (ec) return Error(Errc::kInvalidArgument, "--host needs an IP address");
    stream_.expires_after(kCallTimeout);
    stream_.socket().close(ec);
    stream_.connect(tcp::endpoint(address, port_), ec);
    if (ec) return Error(Errc::kUnavailable, "cannot connect: " + ec.message());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    buffer_.clear();
    connected_ = true;
    return {};
  }
  void Disconnect() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    connected_ = false;
  }

  std::string host_;
  unsigned short port_;
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

struct TimerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string operator_key_file;
  std::string model = "shared";
  unsigned runs = 5;
};

constexpr std::string_view kUsage =
    "usage: onboard_timer --port P --operator-key-file F [--model shared|database] [--runs N]\n"
    "                     [--host 127.0.0.1]\n";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<TimerOptions> ParseArgs(int argc, char** argv) {
  TimerOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i], value = argv[i + 1];
    if (flag == "--host") {
      o.host = value;
    } else if (flag == "--port") {
      if (!ParseNumber(value, o.port) || o.port == 0) return std::nullopt;
    } else if (flag == "--operator-key-file") {
      o.operator_key_file = value;
    } else if (flag == "--model") {
      if (value != "shared" && value != "database") return std::nullopt;
      o.model = value;
    } else if (flag == "--runs") {
      if (!ParseNumber(value, o.runs) || o.runs < 1 || o.runs > 1000) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || o.port == 0 || o.operator_key_file.empty()) return std::nullopt;
  return o;
}

// The operator's key, without the trailing newline. Never printed.
std::optional<std::string> ReadKey(const std::string& path) {
  std::ifstream in(path);
  std::string key;
  if (!in || !std::getline(in, key) || key.empty()) return std::nullopt;
  return key;
}

// One onboarding, from the first byte of POST /v1/tenants to the booked
// ride; the elapsed milliseconds.
Result<double> OnboardOnce(Client& client, const std::string& operator_key, const TimerOptions& o,
                           const std::string& slug) {
  const std::string body = R"({"slug":")" + slug + R"(","model":")" + o.model +
                           R"(","admin":{"email":"ops@)" + slug + R"(.example"}})";
  const auto t0 = std::chrono::steady_clock::now();
  auto onboarded = client.Call("POST", "/v1/tenants", operator_key, body, {});
  if (!onboarded) return onboarded.error();
  const auto* key = onboarded->is_object() ? onboarded->as_object().if_contains("admin") : nullptr;
  key = key && key->is_object() ? key->as_object().if_contains("api_key") : nullptr;
  key = key && key->is_object() ? key->as_object().if_contains("key") : nullptr;
  if (!key || !key->is_string()) return Error(Errc::kInternal, "onboarding answered no admin key");
  const std::string admin_key(key->as_string());
  const tenancy::load::Caller as_admin = [&](std::string_view method, std::string_view target,
                                             std::string_view b, std::string_view idem) {
    return client.Call(method, target, admin_key, b, idem);
  };
  auto story = tenancy::load::BookFirstRide(as_admin, slug);
  if (!story) return story.error();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = ParseArgs(argc, argv);
  if (!options) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
    return 2;
  }
  const auto operator_key = ReadKey(options->operator_key_file);
  if (!operator_key) {
    std::fprintf(stderr, "onboard_timer: cannot read the operator key file\n");
    return 2;
  }
  Client client(options->host, options->port);
  std::vector<double> ms;
  for (unsigned i = 0; i < options->runs; ++i) {
    const std::string slug =
        "onb-" + options->model + "-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    auto took = OnboardOnce(client, *operator_key, *options, slug);
    if (!took) {
      std::fprintf(stderr, "onboard_timer: run %u failed: %s\n", i, took.error().ToString().c_str());
      return 1;
    }
    ms.push_back(*took);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  json::array runs;
  for (double v : ms) runs.push_back(v);
  const json::object out{{"model", options->model},   {"runs", n},
                         {"ms", std::move(runs)},     {"median_ms", median},
                         {"min_ms", sorted.front()},  {"max_ms", sorted.back()}};
  std::printf("%s\n", json::serialize(out).c_str());
  return 0;
}
