#pragma once
// Admission control: how many connections the server holds in all, from
// one source address, and not yet logged in (like OpenSSH's MaxStartups).
// A connection over a limit is closed right after accept.
//
//   auto ticket = admission.admit("192.0.2.7");   // nullopt: over a limit
//   ...; ticket->logged_in();                      // leaves the unauthenticated count
//   // the ticket's destructor gives the slots back
//
// Thread-safe.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sfs::server {

class Admission {
 public:
  struct Limits {
    unsigned total = 1024;
    unsigned per_source = 128;
    unsigned unauthenticated = 128;
  };

  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();
    void logged_in();

   private:
    friend class Admission;
    Ticket(Admission* admission, std::string source)
        : admission_(admission), source_(std::move(source)) {}
    Admission* admission_;
    std::string source_;
    bool authenticated_ = false;
  };

  explicit Admission(Limits limits) : limits_(limits) {}

  // A ticket, or nullopt with `why` set when a limit is reached.
  std::optional<Ticket> admit(const std::string& source, std::string* why);
  unsigned connections() const;

 private:
  void release(const std::string& source, bool authenticated);
  void authenticate();

  Limits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, unsigned> per_source_;
  unsigned total_ = 0;
  unsigned unauthenticated_ = 0;
};

}  // namespace sfs::server
