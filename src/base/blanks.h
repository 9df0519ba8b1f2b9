#pragma once
// Optional white space (RFC 9110's OWS: spaces and tabs) around header and
// form values.

#include <string_view>

namespace sfs {

constexpr std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace sfs
