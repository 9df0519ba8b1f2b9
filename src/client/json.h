#pragma once
// The client's --json output: one JSON value on stdout, with stable keys.
// Strings are always valid UTF-8: names are escaped per RFC 8259 (quotes,
// backslashes, control bytes incl. newlines as \n or \u00XX), and a byte
// that is not part of valid UTF-8 (possible in local file names) becomes
// U+FFFD.
//
//   json_string("a\"b\n") == "\"a\\\"b\\n\""
//   entry_json(entry, "docs/a.txt")
//     == {"path":"docs/a.txt","name":"a.txt","type":"file","size":5,
//         "mtime":1700000000,"digest":null}

#include <string>
#include <string_view>

#include "protocol/reply.h"

namespace sfs::client {

// `text` as a quoted JSON string.
std::string json_string(std::string_view text);

// One listing entry as a JSON object; `path` is its full remote path.
std::string entry_json(const protocol::Entry& entry, std::string_view path);

}  // namespace sfs::client
