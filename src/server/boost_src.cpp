// The one translation unit that compiles Asio and Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are
// PUBLIC on tenancyd_core): every other file includes their headers only,
// which keeps the build of the server and its tests within CI's budget.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
