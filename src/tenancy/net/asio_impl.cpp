// The one translation unit that compiles Asio, Asio's OpenSSL layer and
// Beast for tenancy_net (BOOST_ASIO_SEPARATE_COMPILATION /
// BOOST_BEAST_SEPARATE_COMPILATION are PUBLIC on the target): every other
// file includes their headers only.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
