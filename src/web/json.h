#pragma once
// JSON text for the browser app's API: strings quoted and escaped so that
// any name (quotes, control bytes, "</script>", bytes that are not UTF-8)
// arrives as data.
//
//   out += web::json_string("a \"b\"");   // "\"a \\\"b\\\"\""

#include <string>
#include <string_view>

namespace sfs::web {

// `text` as a JSON string literal, quotes included. '"', '\\' and control
// characters are escaped, '<', '>' and '&' too (\u003c ...: harmless even
// if the text were ever read as HTML); a byte sequence that is not UTF-8
// becomes U+FFFD.
std::string json_string(std::string_view text);

}  // namespace sfs::web
