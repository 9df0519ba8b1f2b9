#pragma once
// What the browser app's requests carry, parsed under named limits: form
// and query strings (application/x-www-form-urlencoded, as the app's
// URLSearchParams writes them), the Cookie header, and the
// Content-Disposition of a download.
//
//   auto form = web::parse_form("path=a%2Fb&name=x+y");   // {path: "a/b", name: "x y"}
//   const std::string* path = web::form_value(*form, "path");
//   auto id = web::cookie_value("a=1; __Host-sfs=abc", "__Host-sfs");  // "abc"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::web {

// A form or query string longer than this is refused.
inline constexpr std::size_t kMaxFormBytes = std::size_t{64} << 10;
// More fields than this are refused (the app sends at most three).
inline constexpr std::size_t kMaxFormFields = 16;
// Cookies of one Cookie header looked at; the rest are ignored.
inline constexpr std::size_t kMaxCookies = 64;

struct FormField {
  std::string name;
  std::string value;
};

// Splits at '&', then at the first '='; '+' is a space and %XX a byte.
// kBadRequest with the reason ("malformed % escape in a form", "form over
// 65536 bytes", "more than 16 form fields"). Empty pieces are skipped.
Result<std::vector<FormField>> parse_form(std::string_view text);

// The first value of `name`, or nullptr.
const std::string* form_value(const std::vector<FormField>& form, std::string_view name);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
// Only the first kMaxCookies cookies are looked at.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

// "attachment; filename=\"...\"; filename*=UTF-8''..." for a download of
// `name` (RFC 6266): the quoted name keeps printable ASCII but '"' and
// '\\' (others become '_'), the encoded one keeps every byte.
std::string attachment_disposition(std::string_view name);

}  // namespace sfs::web
