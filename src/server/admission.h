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
#include <memory>
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

  class Ticket;

 private:
  // The counts live apart from the Admission, shared with every ticket: a
  // ticket destroyed late (with its session, at shutdown) still finds them.
  struct Counts {
    std::mutex mutex;
    std::unordered_map<std::string, unsigned> per_source;
    unsigned total = 0;
    unsigned unauthenticated = 0;

    void release(const std::string& source, bool authenticated);
    void authenticate();
  };

 public:
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
    Ticket(std::shared_ptr<Counts> counts, std::string source)
        : counts_(std::move(counts)), source_(std::move(source)) {}
    std::shared_ptr<Counts> counts_;
    std::string source_;
    bool authenticated_ = false;
  };

  explicit Admission(Limits limits) : limits_(limits) {}

  // A ticket, or nullopt with `why` set when a limit is reached.
  std::optional<Ticket> admit(const std::string& source, std::string* why);
  unsigned connections() const;

 private:
  Limits limits_;
  std::shared_ptr<Counts> counts_ = std::make_shared<Counts>();
};

}  // namespace sfs::server
