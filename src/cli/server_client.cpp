// tenancyctl → tenancyd over HTTP/1.1.
#include "server_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdlib>
#include <fstream>

namespace tenancyctl {
namespace http = boost::beast::http;
using tenancy::Errc;
using tenancy::Fail;

tenancy::Result<ServerUrl> ParseServerUrl(std::string_view url) {
  const auto bad = [] {
    return Fail(Errc::kInvalidArgument, "--server must be http://HOST[:PORT][/PATH]");
  };
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return bad();
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos)
    return bad();
  ServerUrl out;
  std::string_view port;
  if (authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad();
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad();
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad();
  if (!port.empty()) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) return bad();
    out.port = static_cast<std::uint16_t>(p);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  out.base_path = std::string(path);
  return out;
}

tenancy::Result<std::string> OperatorKey(const Args& args) {
  std::string key;
  if (auto file = args.Option("key-file")) {
    std::ifstream in(*file);
    if (!in) return Fail(Errc::kInvalidArgument, "cannot read the key file '" + *file + "'");
    std::getline(in, key);
    if (key.empty()) return Fail(Errc::kInvalidArgument, "the key file '" + *file + "' is empty");
  } else if (const char* env = std::getenv(std::string(kOperatorKeyEnv).c_str()); env && *env) {
    key = env;
  } else {
    return Fail(Errc::kInvalidArgument, "an operator key is needed: --key-file FILE or " +
                                            std::string(kOperatorKeyEnv));
  }
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  for (const char c : key)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return Fail(Errc::kInvalidArgument, "the operator key holds characters a key never has");
  return key;
}

tenancy::Result<ServerResponse> CallServer(const ServerUrl& server, std::string_view method,
                                           std::string_view target, const std::string& key,
                                           std::string_view json_body, std::chrono::seconds timeout) {
  namespace asio = boost::asio;
  const auto unreachable = [&] {
    return Fail(Errc::kUnavailable, "cannot reach tenancyd at " + server.host + ":" +
                                        std::to_string(server.port));
  };
  asio::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(server.host, std::to_string(server.port), ec);
  if (ec) return unreachable();
  stream.expires_after(timeout);
  stream.connect(endpoints, ec);
  if (ec) return unreachable();

  http::request<http::string_body> req{http::string_to_verb(method), server.base_path + std::string(target), 11};
  req.set(http::field::host, server.host);
  req.set(http::field::authorization, "Bearer " + key);
  req.set(http::field::accept, "application/json");
  if (!json_body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(json_body);
  }
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return unreachable();
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{64} << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return unreachable();
  auto res = parser.release();
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return ServerResponse{res.result_int(), std::string(res[http::field::content_type]),
                        std::move(res.body())};
}

}  // namespace tenancyctl
