#pragma once
// The one way to include Boost.Asio in sfs.
//
// GCC 12's <boost/asio/awaitable.hpp> (Boost 1.74) uses std::exchange
// without including <utility>, so include it first.

// clang-format off
#include <utility>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

namespace sfs {
namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
}  // namespace sfs
