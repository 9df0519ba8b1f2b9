#pragma once
// Escaping of untrusted text (names, paths, error messages that quote
// them) on its way into the server's log, so that no line can be forged,
// hidden or made to read differently from what it holds:
//
// - C0 controls, DEL and C1 controls (U+0080..U+009F, which some terminals
//   take as ESC sequences: U+009B is CSI);
// - bidirectional overrides, embeddings, isolates and marks (U+202A..U+202E,
//   U+2066..U+2069, U+200E, U+200F, U+061C), which reorder what a reader
//   sees (the "Trojan Source" trick);
// - other invisible format characters: zero-width spaces and joiners, word
//   joiner and invisible operators, the BOM, soft hyphen, line and paragraph
//   separators, interlinear annotations, fillers, variation selectors and
//   the tag characters (U+E0000..U+E007F, which can carry hidden ASCII);
// - bytes that are not valid UTF-8.
//
//   escape_for_text_log("a\xE2\x80\xAEtxt.exe")  == "a\\u202etxt.exe"
//   escape_for_text_log("a\x9B""b")              == "a\\x9bb"
//   json_escape("say \"hi\"\n")                   == "say \\\"hi\\\"\\u000a"

#include <string>
#include <string_view>

namespace sfs::server {

// True for the code points listed above (controls and invisible or
// reordering format characters).
bool is_hidden_or_control(char32_t code_point);

// `text` for a text log line: each such code point becomes \uXXXX (or
// \UXXXXXXXX above U+FFFF), each invalid byte \xHH and a backslash \\, so
// every escape is unambiguous. Everything else is kept as it is.
std::string escape_for_text_log(std::string_view text);

// `text` as the inside of a JSON string: quotes and backslashes escaped, the
// code points above as \uXXXX (surrogate pairs above U+FFFF), and an
// invalid byte as an escaped backslash followed by xHH (a JSON string cannot
// hold raw bytes; a reader decodes it to the text \xHH, as in the text log).
// So the output is always valid JSON. Other text is kept.
std::string json_escape(std::string_view text);

}  // namespace sfs::server
