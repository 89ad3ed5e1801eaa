#include "storage/sql_text.hpp"

#include "tenancy/transaction.hpp"

namespace tenancy {
namespace {

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$';
}

// Calls `on_code(i)` for each index of `sql` that is SQL code, skipping
// string literals, quoted identifiers and comments.
template <class F>
void ForEachCodeChar(std::string_view sql, F&& on_code) {
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      for (++i; i < n; ++i) {
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            ++i;  // doubled quote
            continue;
          }
          break;
        }
      }
      ++i;
    } else if (c == '[') {
      while (i < n && sql[i] != ']') ++i;
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      i += 2;
      while (i + 1 < n && !(sql[i] == '*' && sql[i + 1] == '/')) ++i;
      i += 2;
    } else {
      if (!on_code(i)) return;
      ++i;
    }
  }
}

}  // namespace

bool MentionsTenantParameter(std::string_view sql) noexcept {
  constexpr std::string_view kParam = ":tenant_id";
  bool found = false;
  ForEachCodeChar(sql, [&](std::size_t i) {
    if (sql.compare(i, kParam.size(), kParam) == 0 &&
        (i + kParam.size() == sql.size() || !IsIdentChar(sql[i + kParam.size()])) &&
        (i == 0 || !IsIdentChar(sql[i - 1]))) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

bool IsBlankSql(std::string_view sql) noexcept {
  bool blank = true;
  ForEachCodeChar(sql, [&](std::size_t i) {
    char c = sql[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';') {
      blank = false;
      return false;
    }
    return true;
  });
  return blank;
}

}  // namespace tenancy
