// Fuzzes what the browser app parses and writes from untrusted text: form
// and query strings, the Cookie header, JSON strings and the
// Content-Disposition of a download. Checks what each promises.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "web/form.h"
#include "web/json.h"

namespace {

void check_json(std::string_view text) {
  const std::string out = sfs::web::json_string(text);
  if (out.size() < 2 || out.front() != '"' || out.back() != '"') {
    std::abort();
  }
  for (std::size_t i = 1; i + 1 < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x20 || c == '<' || c == '>') {
      std::abort();
    }
    if (c == '\\') {
      ++i;  // an escape: the next character is its own
    } else if (c == '"') {
      std::abort();  // an unescaped quote would end the string
    }
  }
}

void check_disposition(std::string_view name) {
  const std::string out = sfs::web::attachment_disposition(name);
  const std::size_t open = out.find('"');
  const std::size_t close = out.find('"', open + 1);
  if (out.find_first_of("\r\n") != std::string::npos ||
      out.find('"', close + 1) != std::string::npos) {
    std::abort();  // a header split, or a quoted name that ends early
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto form = sfs::web::parse_form(text)) {
    if (form->size() > sfs::web::kMaxFormFields) {
      std::abort();
    }
    for (const auto& field : *form) {
      check_disposition(field.value);
    }
  }
  if (auto value = sfs::web::cookie_value(text, "__Host-sfs")) {
    if (value->size() > text.size()) {
      std::abort();
    }
  }
  check_json(text);
  check_disposition(text);
  return 0;
}
