#pragma once
// Listener: one listening TCP socket and its accept loop, for any door (the
// sfs protocol, HTTPS). It knows nothing of admission, limits or the door:
// it hands each accepted socket, on a strand of its own and with
// TCP_NODELAY set, to the function given to run(), which decides whether
// to serve it. Given several executors (the server's threads, each with an
// io_context of its own), it spreads the sockets over them in turn. Accept
// failures (out of file descriptors and the like) go to a second function
// and the loop backs off briefly instead of spinning.
//
//   net::Listener listener(io.get_executor());
//   SFS_RETURN_IF_ERROR(listener.open("127.0.0.1", 0));
//   asio::co_spawn(io, listener.run(serve, log_failure), asio::detached);
//   ...
//   listener.close();  // run() returns; sockets already handed on live on

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "asio/asio.h"
#include "base/result.h"

namespace sfs::net {

class Listener {
 public:
  // Gets each accepted socket; runs on the accept loop, so it must not block.
  using OnAccept = std::function<void(tcp::socket)>;
  // Hears of a failed accept while the listener is open.
  using OnFailure = std::function<void(const boost::system::error_code&)>;
  // How long the loop waits after a failed accept.
  static constexpr std::chrono::milliseconds kFailurePause{100};

  // Accepts on `executor`; the sockets go to `spread_over` in turn (empty:
  // to `executor` too).
  explicit Listener(asio::any_io_executor executor,
                    std::vector<asio::any_io_executor> spread_over = {});

  // Binds host:port (port 0: any free one) with SO_REUSEADDR and listens.
  // kNetwork "invalid listen address 'H'" or "cannot listen on H:P: reason".
  Result<void> open(const std::string& host, std::uint16_t port);
  bool is_open() const { return acceptor_.is_open(); }
  // The bound address (its port when opened on 0); empty when not open.
  tcp::endpoint local_endpoint() const;

  // Accepts until close(). The listener must outlive the loop.
  awaitable<void> run(OnAccept on_accept, OnFailure on_failure);
  // Stops accepting: a run() in progress returns. Idempotent.
  void close();

 private:
  // The executor of the next socket accepted.
  asio::any_io_executor next_executor();

  asio::any_io_executor executor_;
  std::vector<asio::any_io_executor> spread_over_;
  std::size_t next_ = 0;
  tcp::acceptor acceptor_;
};

}  // namespace sfs::net
