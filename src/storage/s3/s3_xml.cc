#include "storage/s3/s3_xml.h"

#include <expat.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>

namespace sfs::storage::s3 {
namespace {

// Expat joins a resolved name as "uri<sep>local"; 0x01 cannot occur in XML.
constexpr char kNameSeparator = '\x01';

Error bad_reply(const std::string& what) { return make_error(Errc::kIo, "bad S3 reply: " + what); }

// An element as it closes: its local name, its parent's, its depth (the
// root is 0) and the character data directly inside it. A reply is read as
// the list of these, in closing order: a record's fields close before the
// record itself, so each parser collects fields and pushes at the record.
struct Closed {
  int depth = 0;
  std::string name;
  std::string parent;
  std::string text;
};

struct Reader {
  XML_Parser parser = nullptr;
  std::vector<std::string> names;  // the open elements, root first
  std::vector<std::string> texts;
  std::vector<Closed> closed;
  std::size_t elements = 0;
  std::optional<Error> error;

  void stop(const std::string& why) {
    if (!error) {
      error = bad_reply(why);
    }
    XML_StopParser(parser, XML_FALSE);
  }
};

std::string local_name(const XML_Char* joined) {
  std::string_view s(joined);
  auto cut = s.rfind(kNameSeparator);
  return std::string(cut == std::string_view::npos ? s : s.substr(cut + 1));
}

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto& r = *static_cast<Reader*>(data);
  if (r.names.size() >= static_cast<std::size_t>(kMaxXmlDepth)) {
    return r.stop("nests deeper than " + std::to_string(kMaxXmlDepth));
  }
  if (++r.elements > kMaxXmlElements) {
    return r.stop("more than " + std::to_string(kMaxXmlElements) + " elements");
  }
  r.names.push_back(local_name(name));
  r.texts.emplace_back();
}

void XMLCALL on_end(void* data, const XML_Char* /*name*/) {
  auto& r = *static_cast<Reader*>(data);
  if (r.names.empty()) {
    return;
  }
  Closed c;
  c.depth = static_cast<int>(r.names.size()) - 1;
  c.name = std::move(r.names.back());
  c.text = std::move(r.texts.back());
  r.names.pop_back();
  r.texts.pop_back();
  if (!r.names.empty()) {
    c.parent = r.names.back();
  }
  r.closed.push_back(std::move(c));
}

void XMLCALL on_text(void* data, const XML_Char* s, int len) {
  auto& r = *static_cast<Reader*>(data);
  if (!r.texts.empty() && len > 0) {
    r.texts.back().append(s, static_cast<std::size_t>(len));
  }
}

// No S3 reply has a DOCTYPE; one is how entities get declared.
void XMLCALL on_doctype(void* data, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                        const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
  static_cast<Reader*>(data)->stop("has a DOCTYPE");
}

struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserFree>;

// Every element of `xml` in closing order; the root is the last one.
Result<std::vector<Closed>> read_xml(std::string_view xml) {
  if (xml.size() > kMaxXmlReplyBytes) {
    return bad_reply("larger than " + std::to_string(kMaxXmlReplyBytes) + " bytes");
  }
  Reader r;
  ParserPtr p(XML_ParserCreateNS(nullptr, kNameSeparator));
  SFS_CHECK(p != nullptr);  // out of memory
  r.parser = p.get();
  XML_SetUserData(p.get(), &r);
  XML_SetElementHandler(p.get(), on_start, on_end);
  XML_SetCharacterDataHandler(p.get(), on_text);
  XML_SetStartDoctypeDeclHandler(p.get(), on_doctype);
  XML_SetParamEntityParsing(p.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  auto status = XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (r.error) {
    return *std::move(r.error);
  }
  if (status != XML_STATUS_OK) {
    return bad_reply(std::string("XML: ") + XML_ErrorString(XML_GetErrorCode(p.get())));
  }
  if (r.closed.empty()) {
    return bad_reply("no element");
  }
  return std::move(r.closed);
}

// The reply's root must be `root`; an <Error> is turned into its error.
Result<std::vector<Closed>> read_reply(std::string_view xml, std::string_view root) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_xml(xml));
  if (all.back().name == "Error") {
    ErrorReply e = parse_error(xml);
    return make_error(Errc::kIo, "S3 error " + e.code + ": " + e.message);
  }
  if (all.back().name != root) {
    return bad_reply("<" + all.back().name + "> where <" + std::string(root) + "> was expected");
  }
  return all;
}

Result<std::uint64_t> to_u64(std::string_view field, const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return bad_reply(std::string(field) + " is not a number");
  }
  return value;
}

Result<bool> to_bool(const std::string& text) {
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  return bad_reply("IsTruncated is neither true nor false");
}

Result<std::string> to_key(const std::string& text) {
  if (text.size() > kMaxKeyBytes) {
    return bad_reply("a key is longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  return text;
}

Result<int> to_part_number(std::string_view field, const std::string& text) {
  SFS_ASSIGN_OR_RETURN(std::uint64_t n, to_u64(field, text));
  if (n > static_cast<std::uint64_t>(kMaxPartNumber)) {
    return bad_reply(std::string(field) + " is past " + std::to_string(kMaxPartNumber));
  }
  return static_cast<int>(n);
}

Result<void> object_field(ObjectEntry& o, const Closed& c) {
  if (c.name == "Key") {
    SFS_ASSIGN_OR_RETURN(o.key, to_key(c.text));
  } else if (c.name == "Size") {
    SFS_ASSIGN_OR_RETURN(o.size, to_u64("Size", c.text));
  } else if (c.name == "LastModified") {
    SFS_ASSIGN_OR_RETURN(o.mtime, parse_iso8601(c.text));
  } else if (c.name == "ETag") {
    o.etag = c.text;
  }
  return {};
}

Result<void> list_field(ListPage& page, ObjectEntry& current, const Closed& c) {
  if (c.depth == 2 && c.parent == "Contents") {
    return object_field(current, c);
  }
  if (c.depth == 2 && c.parent == "CommonPrefixes" && c.name == "Prefix") {
    SFS_ASSIGN_OR_RETURN(std::string prefix, to_key(c.text));
    page.prefixes.push_back(std::move(prefix));
  } else if (c.depth == 1 && c.name == "Contents") {
    if (current.key.empty()) {
      return bad_reply("an object without a key");
    }
    page.objects.push_back(std::exchange(current, ObjectEntry{}));
  } else if (c.depth == 1 && c.name == "IsTruncated") {
    SFS_ASSIGN_OR_RETURN(page.truncated, to_bool(c.text));
  } else if (c.depth == 1 && c.name == "NextContinuationToken") {
    page.next_token = c.text;
  }
  return {};
}

Result<void> part_field(PartsPage& page, PartEntry& current, const Closed& c) {
  if (c.depth == 2 && c.parent == "Part") {
    if (c.name == "PartNumber") {
      SFS_ASSIGN_OR_RETURN(current.number, to_part_number("PartNumber", c.text));
    } else if (c.name == "Size") {
      SFS_ASSIGN_OR_RETURN(current.size, to_u64("Size", c.text));
    } else if (c.name == "ETag") {
      current.etag = c.text;
    }
  } else if (c.depth == 1 && c.name == "Part") {
    if (current.number < 1) {
      return bad_reply("a part without a number");
    }
    page.parts.push_back(std::exchange(current, PartEntry{}));
  } else if (c.depth == 1 && c.name == "IsTruncated") {
    SFS_ASSIGN_OR_RETURN(page.truncated, to_bool(c.text));
  } else if (c.depth == 1 && c.name == "NextPartNumberMarker") {
    SFS_ASSIGN_OR_RETURN(page.next_marker, to_part_number("NextPartNumberMarker", c.text));
  }
  return {};
}

Result<void> upload_field(UploadsPage& page, UploadEntry& current, const Closed& c) {
  if (c.depth == 2 && c.parent == "Upload") {
    if (c.name == "Key") {
      SFS_ASSIGN_OR_RETURN(current.key, to_key(c.text));
    } else if (c.name == "UploadId") {
      SFS_ASSIGN_OR_RETURN(current.upload_id, to_key(c.text));
    } else if (c.name == "Initiated") {
      SFS_ASSIGN_OR_RETURN(current.initiated, parse_iso8601(c.text));
    }
  } else if (c.depth == 1 && c.name == "Upload") {
    if (current.key.empty() || current.upload_id.empty() || current.initiated == 0) {
      return bad_reply("an upload without a key, an id or its time");
    }
    page.uploads.push_back(std::exchange(current, UploadEntry{}));
  } else if (c.depth == 1 && c.name == "IsTruncated") {
    SFS_ASSIGN_OR_RETURN(page.truncated, to_bool(c.text));
  } else if (c.depth == 1 && c.name == "NextKeyMarker") {
    SFS_ASSIGN_OR_RETURN(page.next_key_marker, to_key(c.text));
  } else if (c.depth == 1 && c.name == "NextUploadIdMarker") {
    SFS_ASSIGN_OR_RETURN(page.next_upload_id_marker, to_key(c.text));
  }
  return {};
}

// The text of the root's direct child `name`, or "".
std::string top_field(const std::vector<Closed>& all, std::string_view name) {
  for (const Closed& c : all) {
    if (c.depth == 1 && c.name == name) {
      return c.text;
    }
  }
  return {};
}

std::string escape_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else {
      out += c;
    }
  }
  return out;
}

// Reads exactly `width` digits at `at`; -1 when they are not digits.
int digits(std::string_view s, std::size_t at, std::size_t width) {
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      return -1;
    }
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

}  // namespace

Result<ListPage> parse_list_objects(std::string_view xml) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_reply(xml, "ListBucketResult"));
  ListPage page;
  ObjectEntry current;
  for (const Closed& c : all) {
    SFS_RETURN_IF_ERROR(list_field(page, current, c));
  }
  if (page.truncated && page.next_token.empty()) {
    return bad_reply("a truncated listing without NextContinuationToken");
  }
  return page;
}

Result<PartsPage> parse_list_parts(std::string_view xml) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_reply(xml, "ListPartsResult"));
  PartsPage page;
  PartEntry current;
  for (const Closed& c : all) {
    SFS_RETURN_IF_ERROR(part_field(page, current, c));
  }
  if (page.truncated && page.next_marker < 1) {
    return bad_reply("a truncated part list without NextPartNumberMarker");
  }
  return page;
}

Result<UploadsPage> parse_list_uploads(std::string_view xml) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_reply(xml, "ListMultipartUploadsResult"));
  UploadsPage page;
  UploadEntry current;
  for (const Closed& c : all) {
    SFS_RETURN_IF_ERROR(upload_field(page, current, c));
  }
  if (page.truncated && page.next_key_marker.empty()) {
    return bad_reply("a truncated upload list without NextKeyMarker");
  }
  return page;
}

Result<std::string> parse_upload_id(std::string_view xml) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_reply(xml, "InitiateMultipartUploadResult"));
  std::string id = top_field(all, "UploadId");
  if (id.empty() || id.size() > kMaxKeyBytes) {
    return bad_reply("no usable UploadId");
  }
  return id;
}

Result<std::string> parse_etag_result(std::string_view xml) {
  SFS_ASSIGN_OR_RETURN(std::vector<Closed> all, read_xml(xml));
  const std::string& root = all.back().name;
  if (root != "CompleteMultipartUploadResult" && root != "CopyObjectResult" &&
      root != "CopyPartResult") {
    SFS_ASSIGN_OR_RETURN(all, read_reply(xml, "CompleteMultipartUploadResult"));
  }
  std::string etag = top_field(all, "ETag");
  // Ceph RGW 16 completes multipart uploads with an empty <ETag/>; a copy
  // always has one (the part list of a completion needs a part's).
  if (etag.empty() && all.back().name != "CompleteMultipartUploadResult") {
    return bad_reply("<" + all.back().name + "> without an ETag");
  }
  return etag;
}

ErrorReply parse_error(std::string_view xml) {
  auto all = read_xml(xml);
  if (!all || all->back().name != "Error") {
    return {};
  }
  return ErrorReply{top_field(*all, "Code"), top_field(*all, "Message")};
}

std::string complete_multipart_body(const std::vector<PartEntry>& parts) {
  std::string body = "<CompleteMultipartUpload>";
  for (const PartEntry& p : parts) {
    body += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
            escape_text(p.etag) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

Result<std::int64_t> parse_iso8601(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS, then optional .fraction, then Z.
  const int year = digits(t, 0, 4), month = digits(t, 5, 2), day = digits(t, 8, 2);
  const int hour = digits(t, 11, 2), minute = digits(t, 14, 2), second = digits(t, 17, 2);
  bool shape = t.size() >= 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
               t[16] == ':' && t.back() == 'Z';
  std::size_t at = 19;
  if (shape && t[at] == '.') {
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9';) {
      ++at;
    }
  }
  namespace chr = std::chrono;
  chr::year_month_day date{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                           chr::day{static_cast<unsigned>(day)}};
  if (!shape || at != t.size() - 1 || year < 0 || month < 0 || day < 0 || !date.ok() || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return bad_reply("'" + std::string(t.substr(0, 40)) + "' is not an ISO 8601 UTC time");
  }
  auto days = chr::sys_days(date).time_since_epoch().count();
  return static_cast<std::int64_t>(days) * 86400 + std::int64_t{hour} * 3600 +
         std::int64_t{minute} * 60 + second;
}

}  // namespace sfs::storage::s3
