#pragma once
// Admission control: how many connections the server holds in all and from
// one source address, and how many are not logged in yet (the pre-login
// pool, like OpenSSH's MaxStartups).
//
// Over a cap the newcomer is refused, with one exception. When only the
// pool is full, a source holding less than its share of the pool (like
// OpenSSH's PerSourceMaxStartups, but claimed only when the pool is full)
// takes the place of the oldest pre-login connection of the source holding
// the most, provided that one holds more. So sources that fill the pool
// with silent connections cannot keep anybody else out, and a burst from
// one address is not refused while the pool has room.
//
//   Admission::Verdict verdict = admission.admit("192.0.2.7");
//   if (!verdict.ticket) { log(verdict.refusal); close; }
//   if (!verdict.evicted.empty()) { log that verdict.evicted lost one; }
//   // In the session, once: how to close this connection if it is evicted.
//   if (!ticket.on_evict([=] { post(executor, close); })) { close; }
//   ...; if (!ticket.logged_in()) { evicted meanwhile: end the session }
//   // the ticket's destructor gives the slots back
//
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
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
    unsigned unauthenticated = 128;  // the pre-login pool
    // What a source may claim of a full pool by eviction (0: never evict).
    unsigned share_per_source = 10;
  };

  class Ticket;
  struct Verdict;

 private:
  // The counts live apart from the Admission, shared with every ticket: a
  // ticket destroyed late (with its session, at shutdown) still finds them.
  struct Counts {
    struct Source {
      unsigned connections = 0;
      unsigned waiting = 0;  // of them, not logged in yet
    };
    struct Waiting {
      std::string source;
      std::function<void()> evict;  // empty until the session sets it
    };

    std::mutex mutex;
    std::unordered_map<std::string, Source> sources;
    std::map<std::uint64_t, Waiting> waiting;  // the pool, by ticket number: oldest first
    std::uint64_t next_id = 0;
    unsigned total = 0;

    // With `mutex` held: one connection of `source` less.
    void drop(const std::string& source, bool was_waiting);
    void release(std::uint64_t id, const std::string& source, bool logged_in);
  };

 public:
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

    // Leaves the pre-login pool (again: no effect). False when the
    // connection was evicted meanwhile (its slots are gone, its close is on
    // the way) or the ticket was moved from: the session must end.
    [[nodiscard]] bool logged_in();
    // How to close this connection should it be evicted: run at most once,
    // on the thread admitting the newcomer, outside any lock, so it must
    // only hand the close to the connection's own executor. False when the
    // connection was evicted already (close it now) or the ticket was moved
    // from. Pointless after logged_in(): returns true and drops `close`.
    [[nodiscard]] bool on_evict(std::function<void()> close);
    // True when the connection lost its place to a newcomer.
    bool evicted() const;

   private:
    friend class Admission;
    Ticket(std::shared_ptr<Counts> counts, std::string source, std::uint64_t id)
        : counts_(std::move(counts)), source_(std::move(source)), id_(id) {}
    std::shared_ptr<Counts> counts_;
    std::string source_;
    std::uint64_t id_ = 0;
    bool logged_in_ = false;
  };

  // What admit() decided.
  struct Verdict {
    std::optional<Ticket> ticket;  // empty: refused
    std::string refusal;           // why, when refused
    // When the pool was full and the newcomer took a place: the source that
    // lost its oldest pre-login connection (already being closed), and how
    // many pre-login connections it held before. Empty / 0 otherwise.
    std::string evicted;
    unsigned evicted_held = 0;
  };

  explicit Admission(Limits limits) : limits_(limits) {}

  // Admits a connection from `source`, evicting one from the source that
  // holds the most of a full pre-login pool if need be (see above).
  // Refused (no ticket, `refusal` set) when the total or the source's
  // connections are at their cap, or when the pool is full and `source`
  // holds its share of it or as many of it as any other source. Linear in
  // the pool's size when the pool is full.
  Verdict admit(const std::string& source);
  unsigned connections() const;
  unsigned not_logged_in() const;

 private:
  // With the mutex held: why `source` is refused before the pool is even
  // considered, or empty.
  std::string refusal(const std::string& source) const;
  // With the mutex held and the pool full: the oldest pre-login connection
  // of the source holding the most of the pool (of those tied, the one with
  // the oldest connection), or end() with `why` set when `source` may not
  // take it.
  std::map<std::uint64_t, Counts::Waiting>::iterator victim_for(const std::string& source,
                                                                std::string* why) const;
  unsigned waiting_of(const std::string& source) const;

  Limits limits_;
  std::shared_ptr<Counts> counts_ = std::make_shared<Counts>();
};

}  // namespace sfs::server
