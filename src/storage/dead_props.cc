#include "storage/dead_props.h"

#include <algorithm>
#include <charconv>

namespace sfs::storage {
namespace {

constexpr std::string_view kRecordHeader = "sfs-props 1\n";

void put_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// Takes one "<length>:<bytes>" field off the front of `in`.
bool take_field(std::string_view& in, std::string& field) {
  const std::size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + colon, length);
  if (ec != std::errc() || end != in.data() + colon || length > in.size() - colon - 1) {
    return false;
  }
  field.assign(in.substr(colon + 1, length));
  in.remove_prefix(colon + 1 + length);
  return true;
}

bool same_name(const DeadProp& a, const DeadProp& b) { return a.ns == b.ns && a.name == b.name; }

}  // namespace

Result<std::vector<DeadProp>> apply_prop_changes(std::vector<DeadProp> props,
                                                 const std::vector<PropChange>& changes) {
  for (const PropChange& change : changes) {
    const auto at = std::find_if(props.begin(), props.end(),
                                 [&](const DeadProp& p) { return same_name(p, change.prop); });
    if (change.remove) {
      if (at != props.end()) {
        props.erase(at);
      }
    } else if (at != props.end()) {
      *at = change.prop;
    } else {
      props.push_back(change.prop);
    }
  }
  if (props.size() > kMaxDeadProps) {
    return make_error(Errc::kTooLarge, "too many dead properties on one resource (limit " +
                                           std::to_string(kMaxDeadProps) + ")");
  }
  if (encode_dead_props(props).size() > kMaxDeadPropBytes) {
    return make_error(Errc::kTooLarge, "dead properties too large for one resource (limit " +
                                           std::to_string(kMaxDeadPropBytes) + " bytes)");
  }
  return props;
}

std::string encode_dead_props(const std::vector<DeadProp>& props) {
  if (props.empty()) {
    return {};
  }
  std::string out(kRecordHeader);
  for (const DeadProp& p : props) {
    put_field(out, p.ns);
    put_field(out, p.name);
    put_field(out, p.lang);
    put_field(out, p.value_xml);
  }
  return out;
}

Result<std::vector<DeadProp>> decode_dead_props(std::string_view record) {
  std::vector<DeadProp> props;
  if (record.empty()) {
    return props;
  }
  if (!record.starts_with(kRecordHeader)) {
    return make_error(Errc::kIo, "damaged dead-property record");
  }
  record.remove_prefix(kRecordHeader.size());
  while (!record.empty()) {
    DeadProp p;
    if (!take_field(record, p.ns) || !take_field(record, p.name) || !take_field(record, p.lang) ||
        !take_field(record, p.value_xml) || p.name.empty()) {
      return make_error(Errc::kIo, "damaged dead-property record");
    }
    props.push_back(std::move(p));
  }
  return props;
}

}  // namespace sfs::storage
