#include "dav/multistatus.h"

#include <utility>

namespace sfs::dav {

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

MultistatusWriter::MultistatusWriter() = default;

void MultistatusWriter::add(const Response& /*response*/) {}

std::string MultistatusWriter::take() { return std::exchange(out_, {}); }

std::string MultistatusWriter::finish() {
  finished_ = true;
  return take();
}

std::string status_line(int /*status*/) { return {}; }

std::string lockdiscovery_xml(const std::vector<ActiveLock>& /*locks*/) { return {}; }

std::string supportedlock_xml() { return {}; }

std::string lock_response_body(const ActiveLock& /*lock*/) { return {}; }

std::string error_body(std::string_view /*precondition*/,
                       const std::vector<std::string>& /*hrefs*/) {
  return {};
}

}  // namespace sfs::dav
