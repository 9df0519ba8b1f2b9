#pragma once
// A TCP relay on loopback for tests: 127.0.0.1:port() forwards to
// 127.0.0.1:target, on a thread of its own, until cut() closes every
// connection and refuses new ones (accepted, then closed at once, as a
// service that went away); mend() lets them through again.
//
//   TcpRelay relay(7480);
//   settings.endpoint = "http://127.0.0.1:" + std::to_string(relay.port());
//   relay.cut();  ...the store is away...  relay.mend();

#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "asio/asio.h"

namespace sfs::test {

class TcpRelay {
 public:
  explicit TcpRelay(std::uint16_t target) : target_(target) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpRelay() {
    asio::post(io_, [this] {
      acceptor_.close();
      close_all();
    });
    work_.reset();
    thread_.join();
  }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void cut() {
    on_thread([this] {
      down_ = true;
      close_all();
    });
  }
  void mend() {
    on_thread([this] { down_ = false; });
  }

 private:
  using tcp = asio::ip::tcp;
  struct Pair {
    explicit Pair(asio::io_context& io) : client(io), server(io) {}
    tcp::socket client;
    tcp::socket server;
    std::array<char, 65536> up{};
    std::array<char, 65536> down{};
  };

  // Runs `f` on the relay's thread and waits for it.
  template <typename F>
  void on_thread(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  void close_all() {
    for (const auto& pair : pairs_) {
      boost::system::error_code ignored;
      pair->client.close(ignored);
      pair->server.close(ignored);
    }
    pairs_.clear();
  }
  void accept() {
    auto pair = std::make_shared<Pair>(io_);
    acceptor_.async_accept(pair->client, [this, pair](boost::system::error_code ec) {
      if (ec) {
        return;  // closed
      }
      if (!down_) {
        pairs_.insert(pair);
        pair->server.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target_),
                                   [this, pair](boost::system::error_code connected) {
                                     if (connected) {
                                       drop(pair);
                                       return;
                                     }
                                     pump(pair, pair->client, pair->server, pair->up);
                                     pump(pair, pair->server, pair->client, pair->down);
                                   });
      }  // else `pair` goes, and its socket closes, with this handler
      accept();
    });
  }
  void pump(const std::shared_ptr<Pair>& pair, tcp::socket& from, tcp::socket& to,
            std::array<char, 65536>& buffer) {
    from.async_read_some(asio::buffer(buffer), [this, pair, &from, &to, &buffer](
                                                   boost::system::error_code ec, std::size_t n) {
      if (ec) {
        drop(pair);
        return;
      }
      asio::async_write(
          to, asio::buffer(buffer.data(), n),
          [this, pair, &from, &to, &buffer](boost::system::error_code wrote, std::size_t) {
            if (wrote) {
              drop(pair);
              return;
            }
            pump(pair, from, to, buffer);
          });
    });
  }
  void drop(const std::shared_ptr<Pair>& pair) {
    boost::system::error_code ignored;
    pair->client.close(ignored);
    pair->server.close(ignored);
    pairs_.erase(pair);
  }

  std::uint16_t target_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tcp::acceptor acceptor_{io_};
  std::set<std::shared_ptr<Pair>> pairs_;
  bool down_ = false;
  std::thread thread_;
};

}  // namespace sfs::test
