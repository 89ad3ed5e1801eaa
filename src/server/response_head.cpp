#include "response_head.hpp"

namespace tenancyd {

void AppendResponseHead(std::string& out, const Response& response) {
  const unsigned version = response.version();
  const unsigned code = response.result_int();
  const char status_line[] = {'H', 'T', 'T', 'P', '/',
                              static_cast<char>('0' + version / 10 % 10), '.',
                              static_cast<char>('0' + version % 10), ' ',
                              static_cast<char>('0' + code / 100 % 10),
                              static_cast<char>('0' + code / 10 % 10),
                              static_cast<char>('0' + code % 10), ' '};
  out.append(status_line, sizeof status_line);
  const auto reason = response.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& field : response) {
    const auto name = field.name_string();
    const auto value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace tenancyd
