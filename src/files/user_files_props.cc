// UserFiles' dead properties: straight to the Space, whose backend keeps
// them with each file and folder (storage/dead_props.h).

#include "files/user_files.h"

namespace sfs::files {

awaitable<Result<std::vector<storage::DeadProp>>> UserFiles::dead_props(std::string_view path) {
  co_return co_await space_->dead_props(std::string(path));
}

awaitable<Result<std::vector<storage::PropEntry>>> UserFiles::list_with_props(
    std::string_view path) {
  co_return co_await space_->list_with_props(std::string(path));
}

awaitable<Result<void>> UserFiles::patch_dead_props(std::string_view path,
                                                    std::vector<storage::PropChange> changes) {
  co_return co_await space_->patch_dead_props(std::string(path), std::move(changes));
}

}  // namespace sfs::files
