#include "storage/sql_text.hpp"

#include <string>
#include <utility>
#include <vector>

#include "tenancy/transaction.hpp"

namespace tenancy {
namespace {

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$';
}

// Length of a dollar-quote tag ("$$" or "$name$") starting at `i`, or 0.
std::size_t DollarTagLength(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  while (j < sql.size() && ((sql[j] >= 'a' && sql[j] <= 'z') || (sql[j] >= 'A' && sql[j] <= 'Z') ||
                            sql[j] == '_'))
    ++j;
  return j < sql.size() && sql[j] == '$' ? j - i + 1 : 0;
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
    } else if (c == '$' && DollarTagLength(sql, i) > 0) {
      // PostgreSQL dollar quoting: $tag$ ... $tag$
      const std::size_t tag_len = DollarTagLength(sql, i);
      const std::string_view tag = sql.substr(i, tag_len);
      const std::size_t close = sql.find(tag, i + tag_len);
      i = close == std::string_view::npos ? n : close + tag_len;
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
        (i == 0 || (!IsIdentChar(sql[i - 1]) && sql[i - 1] != ':'))) {
      found = true;
      return false;
    }
    return true;
  });
  return found;
}

std::string ToDollarParams(std::string_view sql, int* positional, int* tenant_param) {
  constexpr std::string_view kParam = ":tenant_id";
  std::vector<std::pair<std::size_t, std::size_t>> marks;  // (offset, length) of ? and :tenant_id
  ForEachCodeChar(sql, [&](std::size_t i) {
    if (sql[i] == '?') {
      marks.emplace_back(i, 1);
    } else if (sql.compare(i, kParam.size(), kParam) == 0 &&
               (i + kParam.size() == sql.size() || !IsIdentChar(sql[i + kParam.size()])) &&
               (i == 0 || (!IsIdentChar(sql[i - 1]) && sql[i - 1] != ':'))) {
      marks.emplace_back(i, kParam.size());
    }
    return true;
  });
  int n = 0, tenant = 0;
  for (const auto& [at, len] : marks) {
    if (len == 1) ++n;
  }
  *positional = n;
  std::string out;
  out.reserve(sql.size() + marks.size() * 3);
  std::size_t from = 0;
  int next = 0;
  for (const auto& [at, len] : marks) {
    out.append(sql.substr(from, at - from));
    if (len == 1) {
      out += '$' + std::to_string(++next);
    } else {
      if (tenant == 0) tenant = n + 1;  // after every positional parameter
      out += '$' + std::to_string(tenant);
    }
    from = at + len;
  }
  out.append(sql.substr(from));
  *tenant_param = tenant;
  return out;
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

std::string QuoteIdentifier(std::string_view ident) {
  std::string out;
  out.reserve(ident.size() + 2);
  out += '"';
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace tenancy
