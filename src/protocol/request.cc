#include "protocol/request.h"

#include <algorithm>
#include <iterator>
#include <type_traits>

#include "crypto/digest.h"
#include "protocol/limits.h"
#include "protocol/numbers.h"
#include "protocol/path.h"
#include "protocol/percent.h"

namespace sfs::protocol {
namespace {

using Fields = std::vector<std::string_view>;

Error bad(std::string message) { return make_error(Errc::kBadRequest, std::move(message)); }

Result<std::string> decode_path(std::string_view field) {
  auto path = percent_decode(field);
  if (!path) {
    return path.error();
  }
  SFS_RETURN_IF_ERROR(validate_remote_path(*path));
  return path;
}

Result<Request> parse_login(const Fields& f) {
  auto user = percent_decode(f[1]);
  auto password = percent_decode(f[2]);
  if (!user || !password) {
    return bad("malformed LOGIN");
  }
  if (user->empty() || user->size() > kMaxUserBytes || password->size() > kMaxPasswordBytes) {
    return bad("LOGIN field too long or empty");
  }
  return Request{Login{std::move(*user), std::move(*password)}};
}

Result<Request> parse_get(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  SFS_ASSIGN_OR_RETURN(auto offset, parse_u64(f[2]));
  if (f[3] != "-" && !crypto::is_digest_hex(f[3])) {
    return bad("GET: digest must be 32 hex digits or -");
  }
  return Request{Get{std::move(path), offset, f[3] == "-" ? std::string() : std::string(f[3])}};
}

// The latest modification time PUT accepts: the end of the year 9999 (the
// storage layer's signed times and every calendar can hold it).
constexpr std::uint64_t kMaxMtime = 253'402'300'799;

// PUT's optional modification time: a number up to kMaxMtime, or (before a
// digest) "-" for none.
Result<std::optional<std::uint64_t>> parse_put_mtime(std::string_view field, bool dash_allowed) {
  if (dash_allowed && field == "-") {
    return std::optional<std::uint64_t>();
  }
  SFS_ASSIGN_OR_RETURN(auto mtime, parse_u64(field));
  if (mtime > kMaxMtime) {
    return bad("PUT: modification time out of range");
  }
  return std::optional<std::uint64_t>(mtime);
}

// PUT: a path, a size, optionally the file's modification time, and then
// optionally the file's digest (the offer) and "now" (the data follows).
Result<Request> parse_put(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  SFS_ASSIGN_OR_RETURN(auto size, parse_u64(f[2]));
  Put put{std::move(path), size};
  if (f.size() >= 4) {
    SFS_ASSIGN_OR_RETURN(put.mtime, parse_put_mtime(f[3], f.size() >= 5));
  }
  if (f.size() >= 5) {
    if (!crypto::is_digest_hex(f[4])) {
      return bad("PUT: digest must be 32 hex digits");
    }
    put.digest = std::string(f[4]);
  }
  if (f.size() == 6) {
    if (f[5] != "now") {
      return bad("PUT: the last field must be now");
    }
    put.now = true;
  }
  return Request{std::move(put)};
}

// VIEW: a path and a number.
template <typename T>
Result<Request> parse_path_and_number(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  SFS_ASSIGN_OR_RETURN(auto number, parse_u64(f[2]));
  return Request{T{std::move(path), number}};
}

// DELETE and HASH: just a path.
template <typename T>
Result<Request> parse_path(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  return Request{T{std::move(path)}};
}

Result<Request> parse_list(const Fields& f) {
  if (f.size() == 1) {
    return Request{List{}};
  }
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  return Request{List{std::move(path)}};
}

Result<Request> parse_mkdir(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  if (f[2] != "0" && f[2] != "1") {
    return bad("MKDIR: parents flag must be 0 or 1");
  }
  return Request{MakeDir{std::move(path), f[2] == "1"}};
}

Result<Request> parse_move(const Fields& f) {
  SFS_ASSIGN_OR_RETURN(auto path, decode_path(f[1]));
  SFS_ASSIGN_OR_RETURN(auto target, decode_path(f[2]));
  return Request{Move{std::move(path), std::move(target)}};
}

// A lower-case word of letters, digits and '-', starting with a letter:
// compression algorithms and greeting features.
bool is_feature_word(std::string_view word) {
  if (word.empty() || word.size() > kMaxFeatureBytes || word[0] < 'a' || word[0] > 'z') {
    return false;
  }
  for (const char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

Result<Request> parse_compress(const Fields& f) {
  if (!is_feature_word(f[1])) {
    return bad("COMPRESS: expected an algorithm name such as zstd");
  }
  return Request{Compress{std::string(f[1])}};
}

Result<Request> parse_notices(const Fields& f) {
  if (!is_feature_word(f[1])) {
    return bad("NOTICES: expected a notice kind such as delay");
  }
  return Request{Notices{std::string(f[1])}};
}

// Index of T among Request's alternatives.
template <typename T, std::size_t I = 0>
constexpr std::size_t index_of() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Request>, T>) {
    return I;
  } else {
    return index_of<T, I + 1>();
  }
}

// The one table of verbs: what each parses to, its grammar and how the
// server treats it. One row per Request alternative, in the variant's
// order (checked below), so a request's row is kVerbs[request.index()].
struct VerbRow {
  std::size_t index;       // of the Request alternative it parses to
  std::size_t fields;      // including the verb
  std::size_t max_fields;  // more than `fields` for optional arguments
  Result<Request> (*parse)(const Fields&);
  VerbTraits traits;
};

Result<Request> parse_bare_verify(const Fields&) { return Request{Verify{}}; }
Result<Request> parse_bare_quit(const Fields&) { return Request{Quit{}}; }
Result<Request> parse_bare_usage(const Fields&) { return Request{UsageQuery{}}; }

// Traits: {is_transfer, does_write, before_login, quick}.
constexpr VerbRow kVerbs[] = {
    {index_of<Login>(), 3, 3, parse_login, {"LOGIN", false, false, true, false}},
    {index_of<Put>(), 3, 6, parse_put, {"PUT", true, true, false, true}},
    {index_of<Get>(), 4, 4, parse_get, {"GET", true, false, false, true}},
    {index_of<View>(), 3, 3, parse_path_and_number<View>, {"VIEW", true, false, false, false}},
    {index_of<Delete>(), 2, 2, parse_path<Delete>, {"DELETE", false, true, false, false}},
    {index_of<List>(), 1, 2, parse_list, {"LIST", false, false, false, false}},
    {index_of<Quit>(), 1, 1, parse_bare_quit, {"QUIT", false, false, false, false}},
    {index_of<Hash>(), 2, 2, parse_path<Hash>, {"HASH", false, false, false, false}},
    {index_of<Verify>(), 1, 1, parse_bare_verify, {"VERIFY", false, false, false, false}},
    {index_of<MakeDir>(), 3, 3, parse_mkdir, {"MKDIR", false, true, false, false}},
    {index_of<RemoveDir>(), 2, 2, parse_path<RemoveDir>, {"RMDIR", false, true, false, false}},
    {index_of<Move>(), 3, 3, parse_move, {"MOVE", false, true, false, false}},
    {index_of<Stat>(), 2, 2, parse_path<Stat>, {"STAT", false, false, false, true}},
    {index_of<Compress>(), 2, 2, parse_compress, {"COMPRESS", false, false, false, false}},
    {index_of<Notices>(), 2, 2, parse_notices, {"NOTICES", false, false, true, false}},
    {index_of<UsageQuery>(), 1, 1, parse_bare_usage, {"USAGE", false, false, false, false}},
};

constexpr bool rows_follow_the_variant() {
  if (std::size(kVerbs) != std::variant_size_v<Request>) {
    return false;
  }
  for (std::size_t i = 0; i < std::size(kVerbs); ++i) {
    if (kVerbs[i].index != i) {
      return false;
    }
  }
  return true;
}
static_assert(rows_follow_the_variant(), "kVerbs: one row per Request alternative, in order");

struct Serializer {
  std::string operator()(const Login& r) const {
    return "LOGIN " + percent_encode(r.user) + " " + percent_encode(r.password) + "\n";
  }
  std::string operator()(const Put& r) const {
    std::string line = "PUT " + percent_encode(r.path) + " " + std::to_string(r.size);
    if (r.digest.empty()) {
      return line + (r.mtime ? " " + std::to_string(*r.mtime) : std::string()) + "\n";
    }
    line += " " + (r.mtime ? std::to_string(*r.mtime) : std::string("-")) + " " + r.digest;
    return line + (r.now ? " now\n" : "\n");
  }
  std::string operator()(const Get& r) const {
    return "GET " + percent_encode(r.path) + " " + std::to_string(r.offset) + " " +
           (r.digest.empty() ? "-" : r.digest) + "\n";
  }
  std::string operator()(const View& r) const {
    return "VIEW " + percent_encode(r.path) + " " + std::to_string(r.max_bytes) + "\n";
  }
  std::string operator()(const Delete& r) const {
    return "DELETE " + percent_encode(r.path) + "\n";
  }
  std::string operator()(const List& r) const {
    return r.path.empty() ? "LIST\n" : "LIST " + percent_encode(r.path) + "\n";
  }
  std::string operator()(const Quit&) const { return "QUIT\n"; }
  std::string operator()(const Hash& r) const { return "HASH " + percent_encode(r.path) + "\n"; }
  std::string operator()(const Verify&) const { return "VERIFY\n"; }
  std::string operator()(const MakeDir& r) const {
    return "MKDIR " + percent_encode(r.path) + (r.parents ? " 1\n" : " 0\n");
  }
  std::string operator()(const RemoveDir& r) const {
    return "RMDIR " + percent_encode(r.path) + "\n";
  }
  std::string operator()(const Move& r) const {
    return "MOVE " + percent_encode(r.path) + " " + percent_encode(r.target) + "\n";
  }
  std::string operator()(const Stat& r) const { return "STAT " + percent_encode(r.path) + "\n"; }
  std::string operator()(const Compress& r) const { return "COMPRESS " + r.algorithm + "\n"; }
  std::string operator()(const Notices& r) const { return "NOTICES " + r.kind + "\n"; }
  std::string operator()(const UsageQuery&) const { return "USAGE\n"; }
};

}  // namespace

Result<std::vector<std::string_view>> split_fields(std::string_view line) {
  Fields fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t space = line.find(' ', start);
    const std::string_view field = line.substr(start, space - start);
    if (field.empty()) {
      return bad("empty field");
    }
    for (const char c : field) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7E) {
        return bad("byte outside 0x21-0x7E in a field");
      }
    }
    fields.push_back(field);
    if (space == std::string_view::npos) {
      return fields;
    }
    start = space + 1;
  }
}

const VerbTraits& traits_of(const Request& request) { return kVerbs[request.index()].traits; }

std::string_view verb_of(const Request& request) { return traits_of(request).verb; }

Result<Request> parse_request(std::string_view line) {
  if (line.size() >= kMaxLineBytes) {
    return bad("line too long");
  }
  SFS_ASSIGN_OR_RETURN(auto fields, split_fields(line));
  for (const VerbRow& g : kVerbs) {
    if (g.traits.verb != (fields)[0]) {
      continue;
    }
    if (fields.size() < g.fields || fields.size() > g.max_fields) {
      return bad(std::string(g.traits.verb) + ": wrong number of arguments");
    }
    return g.parse(fields);
  }
  return bad("unknown command");
}

std::string serialize_request(const Request& request) { return std::visit(Serializer{}, request); }

std::optional<std::uint64_t> announced_data(std::string_view line) {
  if (line.size() >= kMaxLineBytes || !line.starts_with("PUT ") || !line.ends_with(" now")) {
    return std::nullopt;
  }
  auto fields = split_fields(line);
  if (!fields || fields->size() != 6) {
    return std::nullopt;
  }
  auto size = parse_u64((*fields)[2]);
  return size ? std::optional<std::uint64_t>(*size) : std::nullopt;
}

std::string digest_line(std::string_view hex) {
  return std::string(crypto::kDigestName) + " " + std::string(hex) + "\n";
}

Result<std::string> parse_digest_line(std::string_view line) {
  auto fields = split_fields(line);
  if (!fields || fields->size() != 2 || (*fields)[0] != crypto::kDigestName ||
      !crypto::is_digest_hex((*fields)[1])) {
    return make_error(Errc::kProtocol, "malformed digest trailer");
  }
  return std::string((*fields)[1]);
}

std::string delay_line(std::chrono::milliseconds hold) {
  const auto ms = std::clamp<std::int64_t>(hold.count(), 1, static_cast<std::int64_t>(kMaxDelayMs));
  return "DELAY " + std::to_string(ms) + "\n";
}

Result<std::chrono::milliseconds> parse_delay_line(std::string_view line) {
  auto fields = split_fields(line);
  auto ms = fields && fields->size() == 2 && (*fields)[0] == "DELAY"
                ? parse_u64((*fields)[1])
                : Result<std::uint64_t>(make_error(Errc::kProtocol, ""));
  if (!ms || *ms == 0 || *ms > kMaxDelayMs) {
    return make_error(Errc::kProtocol, "malformed DELAY notice from server");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
}

std::string from_line(std::uint64_t offset) { return "FROM " + std::to_string(offset) + "\n"; }

Result<std::uint64_t> parse_from_line(std::string_view line) {
  auto fields = split_fields(line);
  if (!fields || fields->size() != 2 || (*fields)[0] != "FROM") {
    return make_error(Errc::kProtocol, "expected FROM <offset>");
  }
  auto offset = parse_u64((*fields)[1]);
  if (!offset) {
    return make_error(Errc::kProtocol, "expected FROM <offset>");
  }
  return *offset;
}

std::string greeting_line() { return "SFS " + std::to_string(kVersion) + "\n"; }

Result<int> parse_greeting(std::string_view line) {
  auto fields = split_fields(line);
  if (!fields || fields->size() < 2 || (*fields)[0] != "SFS") {
    return make_error(Errc::kProtocol, "not an sfs server");
  }
  if (fields->size() > 2 + kMaxFeatures ||
      !std::all_of(fields->begin() + 2, fields->end(), is_feature_word)) {
    return make_error(Errc::kProtocol, "malformed features in greeting");
  }
  auto version = parse_u64((*fields)[1]);
  if (!version || *version > 1000) {
    return make_error(Errc::kProtocol, "bad protocol version in greeting");
  }
  return static_cast<int>(*version);
}

}  // namespace sfs::protocol
