// Compiles Boost.Asio's implementation once (BOOST_ASIO_SEPARATE_COMPILATION).
// clang-format off
#include "asio/asio.h"  // first: it includes <utility> before Boost.Asio
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
// clang-format on
