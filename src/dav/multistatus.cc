#include "dav/multistatus.h"

#include <algorithm>
#include <utility>

#include "dav/headers.h"
#include "dav/xml.h"

namespace sfs::dav {
namespace {

constexpr std::string_view kProlog = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

// Names written after "<D:" come from this code (precondition and property
// names of the caller's tables), never from a client; a bad one is a bug.
bool is_plain_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string href_xml(std::string_view path) {
  return "<D:href>" + xml_escape(percent_encode_path(path)) + "</D:href>";
}

// The element of one property: DAV: ones use D:, others get a prefix
// declared on the element itself. Client-chosen names were valid XML names
// when parsed, so they are written as they came.
void write_prop(const PropValue& p, std::string& out) {
  std::string tag;
  std::string decl;
  if (p.name.ns == kDavNamespace) {
    tag = "D:" + p.name.name;
  } else if (p.name.ns.empty()) {
    tag = p.name.name;
  } else {
    tag = "P:" + p.name.name;
    decl = " xmlns:P=\"" + xml_escape(p.name.ns) + "\"";
  }
  out += "<" + tag + decl;
  if (!p.lang.empty()) {
    out += " xml:lang=\"" + xml_escape(p.lang) + "\"";
  }
  if (p.name_only || p.value.empty()) {
    out += "/>";
    return;
  }
  out += ">";
  out += p.raw ? p.value : xml_escape(p.value);
  out += "</" + tag + ">";
}

void write_error_element(std::string_view precondition, std::string& out) {
  if (precondition.empty()) {
    return;
  }
  SFS_CHECK(is_plain_name(precondition));
  out += "<D:error><D:" + std::string(precondition) + "/></D:error>";
}

void write_propstat(const PropStat& ps, std::string& out) {
  out += "<D:propstat><D:prop>";
  for (const PropValue& p : ps.props) {
    write_prop(p, out);
  }
  out += "</D:prop><D:status>" + status_line(ps.status) + "</D:status>";
  write_error_element(ps.error, out);
  out += "</D:propstat>";
}

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 207:
      return "Multi-Status";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 423:
      return "Locked";
    case 424:
      return "Failed Dependency";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 507:
      return "Insufficient Storage";
    default:
      return "Unknown";
  }
}

std::string activelock_xml(const ActiveLock& lock) {
  std::string out = "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope>";
  out += lock.scope == LockScope::kExclusive ? "<D:exclusive/>" : "<D:shared/>";
  out += "</D:lockscope><D:depth>";
  out += lock.depth == Depth::kZero ? "0" : "infinity";
  out += "</D:depth>";
  if (!lock.owner_xml.empty()) {
    out += "<D:owner>" + lock.owner_xml + "</D:owner>";
  }
  out += "<D:timeout>Second-" + std::to_string(lock.timeout.count()) + "</D:timeout>";
  out += "<D:locktoken><D:href>" + xml_escape(lock.token) + "</D:href></D:locktoken>";
  out += "<D:lockroot>" + href_xml(lock.root) + "</D:lockroot></D:activelock>";
  return out;
}

}  // namespace

PropValue text_prop(std::string_view ns, std::string_view name, std::string_view text) {
  return PropValue{.name = {std::string(ns), std::string(name)}, .value = std::string(text)};
}

PropValue raw_prop(std::string_view ns, std::string_view name, std::string_view xml) {
  return PropValue{
      .name = {std::string(ns), std::string(name)}, .value = std::string(xml), .raw = true};
}

PropValue empty_prop(std::string_view ns, std::string_view name) {
  return PropValue{.name = {std::string(ns), std::string(name)}, .name_only = true};
}

MultistatusWriter::MultistatusWriter() {
  out_ = kProlog;
  out_ += "<D:multistatus xmlns:D=\"DAV:\">";
}

void MultistatusWriter::add(const Response& response) {
  SFS_CHECK(!finished_);
  out_ += "<D:response>" + href_xml(response.href);
  for (const PropStat& ps : response.propstats) {
    write_propstat(ps, out_);
  }
  if (response.propstats.empty()) {
    out_ += "<D:status>" + status_line(response.status) + "</D:status>";
    write_error_element(response.error, out_);
  }
  out_ += "</D:response>";
}

std::string MultistatusWriter::take() { return std::exchange(out_, {}); }

std::string MultistatusWriter::finish() {
  SFS_CHECK(!finished_);
  finished_ = true;
  out_ += "</D:multistatus>\n";
  return take();
}

std::string status_line(int status) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status));
}

std::string lockdiscovery_xml(const std::vector<ActiveLock>& locks) {
  std::string out;
  for (const ActiveLock& lock : locks) {
    out += activelock_xml(lock);
  }
  return out;
}

std::string supportedlock_xml() {
  return "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope>"
         "<D:locktype><D:write/></D:locktype></D:lockentry>"
         "<D:lockentry><D:lockscope><D:shared/></D:lockscope>"
         "<D:locktype><D:write/></D:locktype></D:lockentry>";
}

std::string lock_response_body(const ActiveLock& lock) {
  return std::string(kProlog) + "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>" +
         activelock_xml(lock) + "</D:lockdiscovery></D:prop>\n";
}

std::string error_body(std::string_view precondition, const std::vector<std::string>& hrefs) {
  SFS_CHECK(is_plain_name(precondition));
  std::string out =
      std::string(kProlog) + "<D:error xmlns:D=\"DAV:\"><D:" + std::string(precondition) + ">";
  for (const std::string& h : hrefs) {
    out += href_xml(h);
  }
  out += "</D:" + std::string(precondition) + "></D:error>\n";
  return out;
}

}  // namespace sfs::dav
