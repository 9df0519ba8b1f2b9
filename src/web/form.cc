#include "web/form.h"

#include "base/blanks.h"
#include "base/hex.h"

namespace sfs::web {
namespace {

Result<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      const int high = i + 2 < text.size() ? hex_digit_value(text[i + 1]) : -1;
      const int low = high >= 0 ? hex_digit_value(text[i + 2]) : -1;
      if (low < 0) {
        return make_error(Errc::kBadRequest, "malformed % escape in a form");
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

Result<std::vector<FormField>> parse_form(std::string_view text) {
  if (text.size() > kMaxFormBytes) {
    return make_error(Errc::kBadRequest, "form over " + std::to_string(kMaxFormBytes) + " bytes");
  }
  std::vector<FormField> fields;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view piece = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    if (fields.size() == kMaxFormFields) {
      return make_error(Errc::kBadRequest,
                        "more than " + std::to_string(kMaxFormFields) + " form fields");
    }
    const std::size_t eq = piece.find('=');
    SFS_ASSIGN_OR_RETURN(std::string name, decode(piece.substr(0, eq)));
    SFS_ASSIGN_OR_RETURN(
        std::string value,
        decode(eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1)));
    fields.push_back({std::move(name), std::move(value)});
  }
  return fields;
}

const std::string* form_value(const std::vector<FormField>& form, std::string_view name) {
  for (const FormField& field : form) {
    if (field.name == name) {
      return &field.value;
    }
  }
  return nullptr;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  for (std::size_t n = 0; n < kMaxCookies && !header.empty(); ++n) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = trim_blanks(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim_blanks(pair.substr(0, eq)) == name) {
      std::string_view value = trim_blanks(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

std::string attachment_disposition(std::string_view name) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string plain;
  std::string encoded;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    plain.push_back(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? ch : '_');
    if (unreserved(c)) {
      encoded.push_back(ch);
    } else {
      encoded += {'%', kDigits[c >> 4], kDigits[c & 0xF]};
    }
  }
  return "attachment; filename=\"" + plain + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace sfs::web
