#include "net/listener.h"

#include <utility>

#include "net/socket_options.h"

namespace sfs::net {

Listener::Listener(asio::any_io_executor executor, std::vector<asio::any_io_executor> spread_over)
    : executor_(std::move(executor)), spread_over_(std::move(spread_over)), acceptor_(executor_) {}

asio::any_io_executor Listener::next_executor() {
  if (spread_over_.empty()) {
    return executor_;
  }
  next_ = (next_ + 1) % spread_over_.size();
  return spread_over_[next_];
}

Result<void> Listener::open(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return make_error(Errc::kNetwork, "invalid listen address '" + host + "'");
  }
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return make_error(Errc::kNetwork, "cannot listen on " + host + ":" + std::to_string(port) +
                                          ": " + ec.message());
  }
  return {};
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

awaitable<void> Listener::run(OnAccept on_accept, OnFailure on_failure) {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(next_executor()), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open()) {
        break;
      }
      on_failure(ec);
      asio::steady_timer pause(executor_, kFailurePause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    set_stream_options(socket);
    on_accept(std::move(socket));
  }
}

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace sfs::net
