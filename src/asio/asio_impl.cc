// Compiles Boost.Asio's implementation once (BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>

#include "asio/asio.h"  // first: it includes <utility> before Boost.Asio
