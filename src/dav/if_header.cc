#include "dav/if_header.h"

#include <algorithm>
#include <cctype>

namespace sfs::dav {
namespace {

Error bad(std::string_view why) {
  return make_error(Errc::kBadRequest, "If header: " + std::string(why));
}

// A recursive-descent reader over RFC 4918 10.4's grammar. Each condition
// consumes at least three bytes, so kMaxIfHeaderBytes bounds the work too.
class IfParser {
 public:
  explicit IfParser(std::string_view s) : s_(s) {}

  Result<IfHeader> header() {
    IfHeader h;
    skip_space();
    h.tagged = peek('<');
    if (!h.tagged) {
      h.groups.emplace_back();
    }
    while (skip_space(), pos_ < s_.size()) {
      if (h.tagged) {
        SFS_ASSIGN_OR_RETURN(IfGroup group, tagged_group());
        h.groups.push_back(std::move(group));
      } else {
        SFS_ASSIGN_OR_RETURN(IfList l, list());
        h.groups[0].lists.push_back(std::move(l));
      }
    }
    return h;
  }

 private:
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool eat_word(std::string_view word) {
    if (s_.size() - pos_ < word.size()) {
      return false;
    }
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(s_[pos_ + i])) != word[i]) {
        return false;
      }
    }
    pos_ += word.size();
    return true;
  }

  // "<" URI ">": the URI may hold no space, control byte or '<'.
  Result<std::string> coded_url() {
    ++pos_;  // '<'
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '>') {
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c <= 0x20 || c == 0x7f || c == '<') {
        return bad("a bad byte inside <...>");
      }
      ++pos_;
    }
    if (pos_ == s_.size() || pos_ == start) {
      return bad("an empty or unclosed <...>");
    }
    return std::string(s_.substr(start, pos_++ - start));
  }

  // "[" ["W/"] quoted-string "]"; the tag is kept with its quotes.
  Result<std::string> entity_tag() {
    ++pos_;  // '['
    std::size_t start = pos_;
    if (s_.substr(pos_).starts_with("W/")) {
      pos_ += 2;
    }
    if (!peek('"')) {
      return bad("an entity tag without quotes");
    }
    auto close = s_.find('"', pos_ + 1);
    if (close == std::string_view::npos || close + 1 >= s_.size() || s_[close + 1] != ']') {
      return bad("an unclosed [\"...\"]");
    }
    pos_ = close + 2;
    return std::string(s_.substr(start, close + 1 - start));
  }

  Result<IfCondition> condition() {
    if (++conditions_ > kMaxIfConditions) {
      return make_error(Errc::kTooLarge,
                        "If header: more than " + std::to_string(kMaxIfConditions) + " conditions");
    }
    IfCondition c;
    if (eat_word("not")) {
      c.negated = true;
      skip_space();
    }
    if (peek('<')) {
      SFS_ASSIGN_OR_RETURN(c.value, coded_url());
    } else if (peek('[')) {
      c.kind = IfCondition::Kind::kEntityTag;
      SFS_ASSIGN_OR_RETURN(c.value, entity_tag());
    } else {
      return bad("expected <state-token> or [entity-tag]");
    }
    return c;
  }

  Result<IfList> list() {
    if (!peek('(')) {
      return bad("expected (");
    }
    ++pos_;
    IfList l;
    while (skip_space(), !peek(')')) {
      if (pos_ >= s_.size()) {
        return bad("an unclosed (");
      }
      SFS_ASSIGN_OR_RETURN(IfCondition c, condition());
      l.conditions.push_back(std::move(c));
    }
    ++pos_;
    if (l.conditions.empty()) {
      return bad("an empty ()");
    }
    return l;
  }

  Result<IfGroup> tagged_group() {
    if (!peek('<')) {
      return bad("untagged list after a tagged one");
    }
    IfGroup g;
    SFS_ASSIGN_OR_RETURN(g.resource, coded_url());
    while (skip_space(), peek('(')) {
      SFS_ASSIGN_OR_RETURN(IfList l, list());
      g.lists.push_back(std::move(l));
    }
    if (g.lists.empty()) {
      return bad("a resource tag without a list");
    }
    return g;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t conditions_ = 0;
};

bool condition_holds(const IfCondition& c, const std::optional<ResourceState>& state) {
  bool match = false;
  if (state) {
    const auto& tokens = state->lock_tokens;
    if (c.kind == IfCondition::Kind::kStateToken) {
      match = std::find(tokens.begin(), tokens.end(), c.value) != tokens.end();
    } else {
      // Strong comparison (RFC 9110 8.8.3.2): a weak tag matches nothing.
      match = !state->etag.empty() && !c.value.starts_with("W/") && c.value == state->etag;
    }
  }
  return match != c.negated;
}

bool list_holds(const IfList& l, const std::optional<ResourceState>& state) {
  return std::all_of(l.conditions.begin(), l.conditions.end(),
                     [&](const IfCondition& c) { return condition_holds(c, state); });
}

}  // namespace

Result<IfHeader> parse_if_header(std::string_view value) {
  if (value.size() > kMaxIfHeaderBytes) {
    return make_error(Errc::kTooLarge,
                      "If header: longer than " + std::to_string(kMaxIfHeaderBytes) + " bytes");
  }
  IfParser parser(value);
  SFS_ASSIGN_OR_RETURN(IfHeader h, parser.header());
  if (h.groups.empty() || h.groups[0].lists.empty()) {
    return bad("no list");
  }
  return h;
}

std::vector<std::string> submitted_tokens(const IfHeader& header) {
  std::vector<std::string> tokens;
  for (const IfGroup& g : header.groups) {
    for (const IfList& l : g.lists) {
      for (const IfCondition& c : l.conditions) {
        if (c.kind == IfCondition::Kind::kStateToken &&
            std::find(tokens.begin(), tokens.end(), c.value) == tokens.end()) {
          tokens.push_back(c.value);
        }
      }
    }
  }
  return tokens;
}

bool if_header_holds(
    const IfHeader& header,
    const std::function<std::optional<ResourceState>(std::string_view resource)>& state_of) {
  for (const IfGroup& g : header.groups) {
    std::optional<ResourceState> state = state_of(g.resource);
    for (const IfList& l : g.lists) {
      if (list_holds(l, state)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace sfs::dav
