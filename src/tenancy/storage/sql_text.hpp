// Lexical helpers for SQL text written by applications (the raw path).
#pragma once

#include <string>
#include <string_view>

namespace tenancy {

// True when `sql` holds only white space and comments.
bool IsBlankSql(std::string_view sql) noexcept;

// `ident` as a quoted SQL identifier ("name", embedded quotes doubled), the
// same in SQLite and PostgreSQL.
std::string QuoteIdentifier(std::string_view ident);

// PostgreSQL spelling of a statement written with `?` placeholders (and, in
// raw SQL, the named `:tenant_id`): `?` become $1, $2, ... in order, and every
// `:tenant_id` the one number `*tenant_param` (0 when absent). Literals,
// quoted identifiers and comments are left alone. `*positional` receives
// the number of `?`.
std::string ToDollarParams(std::string_view sql, int* positional, int* tenant_param);

}  // namespace tenancy
