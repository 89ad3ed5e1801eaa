// Lexical helpers for SQL text written by applications (the raw path).
#pragma once

#include <string_view>

namespace tenancy {

// True when `sql` holds only white space and comments.
bool IsBlankSql(std::string_view sql) noexcept;

}  // namespace tenancy
