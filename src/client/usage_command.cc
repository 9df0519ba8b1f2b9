// `df`: what the user's files take on the server and the limits on them
// (USAGE), so a user sees how close a quota is before an upload fails.

#include <cstdio>
#include <string>

#include "client/command_handlers.h"
#include "client/progress.h"

namespace sfs::client {
namespace {

std::string bytes_text(std::uint64_t bytes) {
  return human_bytes(static_cast<double>(bytes)) + " (" + std::to_string(bytes) + " bytes)";
}

// "12%": how much of `limit` `used` is.
std::string percent(std::uint64_t used, std::uint64_t limit) {
  return std::to_string(static_cast<unsigned>(100.0 * static_cast<double>(used) /
                                              static_cast<double>(limit))) +
         "%";
}

void print_text(const Connection::SpaceUsage& u, std::FILE* out) {
  std::fprintf(out, "used:         %s in %llu files and folders\n", bytes_text(u.bytes).c_str(),
               static_cast<unsigned long long>(u.entries));
  if (u.quota_bytes == 0 && u.quota_entries == 0) {
    std::fprintf(out, "quota:        none\n");
  }
  if (u.quota_bytes > 0) {
    std::fprintf(
        out, "quota:        %s of %s (%s), %s free\n",
        human_bytes(static_cast<double>(u.bytes)).c_str(), bytes_text(u.quota_bytes).c_str(),
        percent(u.bytes, u.quota_bytes).c_str(),
        human_bytes(static_cast<double>(u.quota_bytes > u.bytes ? u.quota_bytes - u.bytes : 0))
            .c_str());
  }
  if (u.quota_entries > 0) {
    std::fprintf(out, "quota:        %llu of %llu files and folders (%s)\n",
                 static_cast<unsigned long long>(u.entries),
                 static_cast<unsigned long long>(u.quota_entries),
                 percent(u.entries, u.quota_entries).c_str());
  }
  if (u.max_file_bytes > 0) {
    std::fprintf(out, "largest file: %s\n", bytes_text(u.max_file_bytes).c_str());
  }
}

}  // namespace

Result<void> do_df(CommandContext& context, const Invocation&) {
  SFS_ASSIGN_OR_RETURN(auto usage, context.conn.usage());
  if (context.json) {
    std::fprintf(context.out,
                 "{\"bytes\":%llu,\"entries\":%llu,\"quota_bytes\":%llu,\"quota_entries\":%llu,"
                 "\"max_file_bytes\":%llu}\n",
                 static_cast<unsigned long long>(usage.bytes),
                 static_cast<unsigned long long>(usage.entries),
                 static_cast<unsigned long long>(usage.quota_bytes),
                 static_cast<unsigned long long>(usage.quota_entries),
                 static_cast<unsigned long long>(usage.max_file_bytes));
  } else {
    print_text(usage, context.out);
  }
  std::fflush(context.out);
  return {};
}

}  // namespace sfs::client
