# Dependencies come from Debian 12 packages only (see README). No downloads.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET GLOBAL libsodium)
find_package(Threads REQUIRED)
# TLS for tenancy_net's https client only (Debian's libssl-dev); the core
# library does not link it.
find_package(OpenSSL REQUIRED)
if(TENANCY_BUILD_POSTGRES)
  find_package(PostgreSQL REQUIRED)  # libpq from Debian's libpq-dev
endif()
