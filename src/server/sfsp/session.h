#pragma once
// The sfs door's Session class, internal to server/sfsp: its members are
// defined in session.cc (run, command loop, dispatch, record), login.cc,
// transfers.cc, folders.cc and connection.cc.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asio/asio.h"
#include "auth/authenticator.h"
#include "files/user_files.h"
#include "net/connection.h"
#include "protocol/request.h"
#include "server/server.h"
#include "wire/channel.h"
#include "wire/transfer.h"

namespace sfs::server::sfsp {

using protocol::Request;

class Session {
 public:
  Session(std::shared_ptr<Shared> shared, std::shared_ptr<wire::Channel> channel, std::string peer,
          std::string source, Admission::Ticket& ticket, LiveSessions::Entry& entry)
      : shared_(std::move(shared)),
        channel_(std::move(channel)),
        peer_(std::move(peer)),
        source_(std::move(source)),
        ticket_(ticket),
        entry_(entry) {}

  awaitable<void> run();

 private:
  using Handler = awaitable<Result<void>> (Session::*)(const Request&);
  struct Command {
    std::string_view verb;
    Handler handler;
  };
  static const Command kCommands[];

  const Config& config() const { return shared_->config; }
  // What became of one LOGIN.
  enum class LoginResult { kLoggedIn, kRefused, kClosed };

  awaitable<bool> log_in();
  // Runs one LOGIN through the authenticator and answers it; a hold
  // extends `deadline`.
  awaitable<LoginResult> try_login(const protocol::Login& login, net::Clock::time_point& deadline);
  // The authenticator's hook before a hold: a client that asked for
  // notices hears how long first. False when the client is gone.
  awaitable<bool> announce_hold(std::chrono::milliseconds wait);
  // After the right password: the listing, storage, "OK".
  awaitable<LoginResult> accept(const auth::Identity& identity);
  // Tells the user why an auth-file reload ended the session, and closes.
  awaitable<void> say_ended(LiveSessions::Why why);
  awaitable<void> serve_commands();
  // Parses, runs, logs and answers one command line; false when the
  // session ends (the connection is gone, or the line broke the protocol).
  awaitable<bool> serve_line(std::string line);
  // A line before LOGIN that is not a LOGIN: a verb the table allows before
  // it (NOTICES) is served, anything else refused. False when the client is
  // gone.
  awaitable<bool> serve_before_login(Result<Request> request);
  awaitable<Result<void>> dispatch(const Request& request);
  // Reads the next command line, marked idle meanwhile (a draining server
  // may close the connection then).
  awaitable<Result<std::string>> read_command(net::Clock::duration timeout);

  awaitable<Result<void>> put(const Request& request);
  awaitable<Result<void>> get(const Request& request);
  awaitable<Result<void>> view(const Request& request);
  awaitable<Result<void>> remove(const Request& request);
  awaitable<Result<void>> list(const Request& request);
  awaitable<Result<void>> quit(const Request& request);
  awaitable<Result<void>> login_again(const Request& request);
  awaitable<Result<void>> hash(const Request& request);
  awaitable<Result<void>> verify(const Request& request);
  awaitable<Result<void>> make_dir(const Request& request);
  awaitable<Result<void>> remove_dir(const Request& request);
  awaitable<Result<void>> move(const Request& request);
  awaitable<Result<void>> stat(const Request& request);
  awaitable<Result<void>> compress(const Request& request);
  awaitable<Result<void>> notices(const Request& request);
  awaitable<Result<void>> usage(const Request& request);

  // Sends `length` bytes of `file` from where it starts.
  awaitable<Result<void>> stream_file(files::Download& file, std::uint64_t length,
                                      const wire::Check& before_end);
  // A GET's reply at once: `head`, then `length` bytes of `file` (at most
  // wire::kWholeStreamBytes) from where it starts, then the digest trailer.
  awaitable<Result<void>> send_whole_file(files::Download& file, std::string head,
                                          std::uint64_t length, const wire::Check& before_end);
  // The offer, FROM (both left out by PUT ... now), the data and the
  // digest trailer of a PUT.
  awaitable<Result<void>> receive_upload(const protocol::Put& put, files::Upload& upload);
  // Sends the offer of an upload and returns where the client's FROM says
  // the data starts.
  awaitable<Result<std::uint64_t>> agree_start(files::Upload& upload);
  // "OK unchanged" for a PUT offering the size and digest the stored file
  // has (after reading a PUT ... now's data through).
  awaitable<Result<void>> skip_unchanged(const protocol::Put& put);
  // Reads and drops the data and trailer of a PUT ... now that is answered
  // without storing it (body_due_ bytes), so the next command is found.
  awaitable<Result<void>> drain_body();
  // drain_body for a request refused before its data: false when the
  // session ends (a malformed stream is answered ERR PROTOCOL first).
  awaitable<bool> drain_refused();
  void record(const Request& request, const Result<void>& result);

  // Replies: every line the door writes outside a transfer goes out here.
  awaitable<Result<void>> reply(std::string line);
  awaitable<Result<void>> reply_ok();
  awaitable<Result<void>> reply_error(Error error);
  // Writes a reply whose failure changes nothing: the connection is
  // closing, or its next read fails and ends the session.
  awaitable<void> reply_anyway(std::string line);
  // After a failed read: a line that broke the protocol gets its ERR
  // before the connection closes; a cut or silent one gets nothing.
  awaitable<void> answer_failed_read(Error error);

  std::shared_ptr<Shared> shared_;
  std::shared_ptr<wire::Channel> channel_;
  std::string peer_;    // "address:port", for logs
  std::string source_;  // the address alone, for penalties
  Admission::Ticket& ticket_;
  LiveSessions::Entry& entry_;
  std::string user_;
  bool delay_notices_ = false;  // the client sent NOTICES delay
  std::optional<files::UserFiles> files_;
  std::uint64_t bytes_ = 0;         // moved by the current operation, for the log
  std::uint64_t resumed_from_ = 0;  // where the current transfer resumed, for the log
  bool quit_ = false;
  // The current request's replies may wait for the next ones (VerbTraits::quick).
  bool hold_replies_ = false;
  // The size of a PUT ... now whose data still follows on the stream: a
  // refusal before it was read reads it through first (serve_line).
  std::optional<std::uint64_t> body_due_;
};

}  // namespace sfs::server::sfsp
