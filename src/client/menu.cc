#include "client/menu.h"

#include <cstdio>
#include <string>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "protocol/limits.h"

namespace sfs::client {
namespace {

constexpr const char* kMenu =
    "\n  1) Upload\n  2) Download\n  3) View\n  4) Delete\n  5) List\n  6) Exit\n";

bool ask(std::istream& in, const char* prompt, std::string& answer) {
  std::printf("%s", prompt);
  std::fflush(stdout);
  return static_cast<bool>(std::getline(in, answer));
}

// Runs one menu choice. Returns false when input ended.
bool run_choice(Connection& conn, std::istream& in, int choice, Result<void>& result) {
  std::string first;
  std::string second;
  switch (choice) {
    case 1:
      if (!ask(in, "Local file to upload: ", first) || !ask(in, "Remote name [same]: ", second)) {
        return false;
      }
      result = put_file(conn, first, second);
      break;
    case 2:
      if (!ask(in, "Remote file to download: ", first) || !ask(in, "Save as [same]: ", second)) {
        return false;
      }
      result = get_file(conn, first, second);
      break;
    case 3:
      if (!ask(in, "Remote file to view: ", first)) {
        return false;
      }
      result = view_file(conn, first, protocol::kDefaultPreviewBytes, stdout);
      std::printf("\n");
      break;
    case 4:
      if (!ask(in, "Remote file to delete: ", first)) {
        return false;
      }
      result = remove_file(conn, first);
      break;
    case 5:
      result = list_files(conn, stdout);
      break;
    default:
      break;
  }
  return true;
}

}  // namespace

int run_menu(Connection& conn, std::istream& in) {
  std::printf("Logged in to %s.\n", conn.server_name().c_str());
  while (true) {
    std::printf("%s", kMenu);
    std::string line;
    if (!ask(in, "Choose 1-6: ", line)) {
      std::printf("\n");
      break;
    }
    const int choice = (line.size() == 1 && line[0] >= '1' && line[0] <= '6') ? line[0] - '0' : 0;
    if (choice == 0) {
      std::printf("Invalid choice '%s': enter a number from 1 to 6.\n", line.c_str());
      continue;
    }
    if (choice == 6) {
      break;
    }
    Result<void> result;
    if (!run_choice(conn, in, choice, result)) {
      break;
    }
    if (result) {
      std::printf("Done.\n");
    } else {
      const int status = report(result.error());
      if (result.error().code == Errc::kNetwork || result.error().code == Errc::kProtocol) {
        return status;
      }
    }
  }
  conn.quit();
  std::printf("Bye.\n");
  return kExitOk;
}

}  // namespace sfs::client
