// THE table of the client's commands (see command_table.h for what is made
// from it). Adding a command is adding an entry here and to docs/man/sfs.1
// (a unit test compares the two).

#include "client/command_table.h"

#include <algorithm>

#include "client/command_handlers.h"
#include "client/menu.h"
#include "client/shell.h"
#include "protocol/limits.h"

namespace sfs::client {
namespace {

using K = ArgKind;

// Where the commands on remote files run.
constexpr Modes kEverywhere = kCommandLine | kShell | kBatch | kMenu;
constexpr Modes kNotInMenu = kCommandLine | kShell | kBatch;
constexpr Modes kInSessions = kShell | kBatch;

const std::string& default_preview_bytes() {
  static const std::string text = std::to_string(protocol::kDefaultPreviewBytes);
  return text;
}

// clang-format off
// A table: one row per command, long by nature.
std::vector<Command> make_table() {  // NOLINT(readability-function-size)
  return {
    {.name = "put", .aliases = {"upload"},
     .args = {{"LOCAL", K::kLocal, true, "Local file (a directory with -r)",
               "Local file to upload: ", true},
              {"REMOTE", K::kRemote, false,
               "Remote name, or the folder several LOCALs go into (default: LOCAL's file name; "
               "missing parent folders are created)",
               "Remote name [same]: "}},
     .flags = {{"--recursive", "-r", "",
                "Upload the whole directory LOCAL into the remote folder REMOTE"},
               {"--force", "", "", "Send files even when the remote copy has the same content"},
               {"--preserve", "-p", "", "Keep modification times (the default)"},
               {"--no-times", "", "", "Do not keep modification times: the upload's time"}},
     .help = "Upload LOCAL as REMOTE",
     .details = "REMOTE defaults to LOCAL's file name; an existing remote folder, or a REMOTE\n"
                "ending in '/', receives the file under that name. Missing parent folders are\n"
                "created. With several LOCALs the last operand is the folder they go into (as\n"
                "scp); a REMOTE that is also a local file is refused (a glob such as *.txt\n"
                "that matched it): use mput. In the shell and batch mode LOCAL may be a glob.\n"
                "An interrupted upload continues where it stopped (--no-resume: start over).\n"
                "A file the server already holds with the same size and digest is not sent\n"
                "again (--force: send it). The modification time goes along (--no-times: not).",
     .examples = "sfs put report.pdf                  (as report.pdf)\n"
                 "sfs put report.pdf docs/2026/r.pdf  (parent folders are created)\n"
                 "sfs put a.txt b.txt docs/           (both into the folder docs)\n"
                 "sfs put -r photos backup/photos     (a whole tree)",
     .modes = kEverywhere, .menu = {"Upload"}, .handler = do_put},

    {.name = "get", .aliases = {"download"},
     .args = {{"REMOTE", K::kRemote, true, "Remote file (a folder with -r)",
               "Remote file to download: ", true},
              {"LOCAL", K::kLocal, false,
               "Local path, or the directory several REMOTEs go into (default: REMOTE's name "
               "here)",
               "Save as [same]: "}},
     .flags = {{"--recursive", "-r", "",
                "Download the whole remote folder REMOTE into the local directory LOCAL"},
               {"--force", "", "", "Fetch files even when the local copy has the same content"},
               {"--preserve", "-p", "", "Keep modification times (the default)"},
               {"--no-times", "", "", "Do not keep modification times: the download's time"}},
     .help = "Download REMOTE to LOCAL",
     .details = "LOCAL defaults to REMOTE's name in the current directory; an existing local\n"
                "directory, or a LOCAL ending in '/' (created if missing), receives the file.\n"
                "With several REMOTEs the last operand is the directory they go into. REMOTE\n"
                "may be a glob, matched against the server's listing (quote it on the command\n"
                "line: sfs get '*.txt'). The data goes to a hidden .NAME.sfs-part file that\n"
                "replaces LOCAL only once complete and verified. A local file with the same\n"
                "size and digest is not fetched again (--force: fetch it). The file gets the\n"
                "remote modification time (--no-times: not) and mode 0666 minus the umask.",
     .examples = "sfs get report.pdf                  (into ./report.pdf)\n"
                 "sfs get docs/2026/r.pdf /tmp/\n"
                 "sfs get '*.txt' texts/              (every remote .txt into ./texts)\n"
                 "sfs get -r backup/photos restored",
     .modes = kEverywhere, .menu = {"Download"}, .handler = do_get},

    {.name = "mput",
     .args = {{"LOCAL", K::kLocal, true, "Local file (a directory with -r)", {}, true}},
     .flags = {{"--recursive", "-r", "", "Upload whole directories"},
               {"--force", "", "", "Send files even when the remote copy has the same content"},
               {"--preserve", "-p", "", "Keep modification times (the default)"},
               {"--no-times", "", "", "Do not keep modification times: the upload's time"}},
     .help = "Upload every LOCAL into the remote folder (a last operand DIR/: into DIR)",
     .details = "Every operand is a file to upload, so that sfs mput *.txt uploads all that\n"
                "the glob matched, however many. A last operand ending in '/' names the\n"
                "remote folder they go into (created if missing).",
     .examples = "sfs mput *.txt\n"
                 "sfs mput *.txt docs/",
     .modes = kNotInMenu, .handler = do_mput},

    {.name = "mget",
     .args = {{"REMOTE", K::kRemote, true, "Remote file or glob (a folder with -r)", {}, true}},
     .flags = {{"--recursive", "-r", "", "Download whole folders"},
               {"--force", "", "", "Fetch files even when the local copy has the same content"},
               {"--preserve", "-p", "", "Keep modification times (the default)"},
               {"--no-times", "", "", "Do not keep modification times: the download's time"}},
     .help = "Download every REMOTE here (a last operand DIR/: into the local DIR)",
     .details = "Every operand is a remote file or glob, matched against the server's listing.\n"
                "A last operand ending in '/' names the local directory they go into (created\n"
                "if missing).",
     .examples = "sfs mget '*.txt'\n"
                 "sfs mget 'logs/*.log' old.log logs/",
     .modes = kNotInMenu, .handler = do_mget},

    {.name = "sync",
     .args = {{"SOURCE", K::kLocal, true, "Local directory, or :FOLDER on the server"},
              {"DEST", K::kRemoteDir, true, ":FOLDER on the server, or a local directory"}},
     .flags = {{"--delete", "", "", "Delete what DEST holds and SOURCE does not"},
               {"--dry-run", "-n", "", "Change nothing; print what would be done"},
               {"--force", "", "", "Send files even when DEST has the same content"},
               {"--no-times", "", "", "Do not keep modification times"},
               {.name = "--exclude",
                .value_name = "PATTERN",
                .help = "Leave out paths or names matching the glob PATTERN (on both sides; "
                        "may be given several times)",
                .repeats = true}},
     .help = "Make DEST a copy of SOURCE (one way; the remote side starts with ':')",
     .details = "Like rclone sync or rsync -a: files DEST already holds with the same size and\n"
                "digest are not sent; the others move as with put/get (resumed, verified,\n"
                "modification times kept). With --delete, what DEST holds and SOURCE does not\n"
                "goes first (nothing is deleted when part of SOURCE could not be read).\n"
                "Ends with a summary (--json: one object).",
     .examples = "sfs sync photos :backup/photos        (upload what changed)\n"
                 "sfs sync :backup/photos restored      (download what changed)\n"
                 "sfs sync --delete --dry-run photos :backup/photos\n"
                 "sfs sync --exclude '*.tmp' --exclude cache photos :backup/photos",
     .modes = kNotInMenu, .handler = do_sync},

    {.name = "view",
     .args = {{"REMOTE", K::kRemote, true, "Remote file", "Remote file to view: "}},
     .flags = {{"--bytes", "-n", "N", "How many bytes (decimal)", default_preview_bytes(),
                check_count}},
     .help = "Show the first bytes of REMOTE (a hex dump if binary, on a terminal)",
     .details = "Raw bytes when the output is a pipe or a file; on a terminal, text as text\n"
                "and anything else as an xxd-like hex dump.",
     .examples = "sfs view notes.txt\n"
                 "sfs view image.png --bytes 64      (a hex dump on a terminal)",
     .modes = kEverywhere, .menu = {"View", true}, .handler = do_view,
     .hints = {"cat", "head", "less", "more"}},

    {.name = "rm", .aliases = {"delete"},
     .args = {{"REMOTE", K::kRemote, true, "Remote file (a folder with -r)",
               "Remote file to delete: ", true}},
     .flags = {{"--recursive", "-r", "", "Delete folders and everything in them"}},
     .help = "Delete REMOTE",
     .details = "Several REMOTEs are deleted in turn; REMOTE may be a glob, matched against the\n"
                "server's listing. A folder needs -r, which deletes it with everything in it\n"
                "and says how many files and folders went.",
     .examples = "sfs rm old/report.pdf\n"
                 "sfs rm a.txt b.txt '*.tmp'\n"
                 "sfs rm -r old",
     .modes = kEverywhere, .menu = {"Delete"}, .handler = do_rm,
     .hints = {"del", "remove", "unlink"}},

    {.name = "ls", .aliases = {"list"},
     .args = {{"DIR", K::kRemoteDir, false, "Remote folder (default: the top)"}},
     .flags = {{"--long", "-l", "", "Also show the type and the stored digest"},
               {"--recursive", "-R", "", "List the whole tree, as full remote paths"},
               {"--all", "-a", "", "Also list names starting with '.' (hidden without it, as ls)"},
               {"--human-readable", "-h", "", "Sizes as 1.5K, 23M, 4.2G (powers of 1024)"}},
     .help = "List a remote folder",
     .details = "One line per entry: size, modification time and name, '/' after folders.\n"
                "A DIR that names a file lists that file.",
     .examples = "sfs ls\n"
                 "sfs ls -l docs\n"
                 "sfs ls -lah docs                (dot files too, sizes as 1.5K)\n"
                 "sfs --json ls -R",
     .modes = kEverywhere, .menu = {"List"}, .handler = do_ls, .hints = {"dir"}},

    {.name = "stat",
     .args = {{"PATH", K::kRemote, true, "Remote file or folder"}},
     .help = "Show type, size, modification time and digest of PATH",
     .examples = "sfs stat docs/2026/r.pdf\n"
                 "sfs --json stat docs",
     .modes = kNotInMenu, .handler = do_stat},

    {.name = "mkdir",
     .args = {{"DIR", K::kRemoteDir, true, "Remote folder", "New folder: "}},
     .flags = {{"--parents", "-p", "", "Create missing parents; an existing folder is fine"}},
     .help = "Create the remote folder DIR",
     .examples = "sfs mkdir docs\n"
                 "sfs mkdir -p docs/2026/q1",
     .modes = kEverywhere, .menu = {"New folder"}, .handler = do_mkdir},

    {.name = "rmdir",
     .args = {{"DIR", K::kRemoteDir, true, "Remote folder", "Empty folder to remove: "}},
     .help = "Remove the empty remote folder DIR",
     .examples = "sfs rmdir docs/2026/q1",
     .modes = kEverywhere, .menu = {"Remove folder"}, .handler = do_rmdir, .hints = {"rd"}},

    {.name = "mv", .aliases = {"move"},
     .args = {{"SRC", K::kRemote, true, "Remote file or folder", "Move or rename: "},
              {"DST", K::kRemote, true, "New name, or a folder to move into",
               "New name, or folder to move into: "}},
     .help = "Move or rename SRC (into DST when it is a folder)",
     .details = "An existing file DST is replaced atomically.",
     .examples = "sfs mv draft.txt final.txt\n"
                 "sfs mv final.txt docs          (into the folder docs)",
     .modes = kEverywhere, .menu = {"Move or rename"}, .handler = do_mv,
     .hints = {"rename", "ren"}},

    {.name = "hash",
     .args = {{"REMOTE", K::kRemote, true, "Remote file"}},
     .help = "Print the XXH3-128 digest the server holds for REMOTE",
     .details = "As xxh128sum prints it, to compare with a local copy.",
     .examples = "sfs hash report.pdf               (compare: xxh128sum report.pdf)",
     .modes = kNotInMenu, .handler = do_hash},

    {.name = "verify",
     .help = "Re-read all your files on the server and report damage",
     .details = "Prints each damaged or unreadable file; fails (status 11) if there is any.",
     .examples = "sfs verify",
     .modes = kNotInMenu, .handler = do_verify},

    {.name = "df",
     .help = "Show what your files take on the server, and your quota",
     .details = "The bytes and entries (files and folders) as the quota counts them, the\n"
                "quota and the largest file the server takes; --json prints them as numbers\n"
                "(0: no limit).",
     .examples = "sfs df\n"
                 "sfs --json df",
     .modes = kNotInMenu, .handler = do_df, .hints = {"du", "quota", "usage"}},

    {.name = "menu",
     .help = "Interactive numbered menu (the default)",
     .examples = "sfs menu",
     .modes = kCommandLine, .session = run_menu_session},

    {.name = "shell",
     .help = "Interactive shell: an sfs> prompt with cd, editing, history and completion "
             "(type help)",
     .details = "Remote paths are relative to the working directory (cd, pwd); lcd, lls and\n"
                "lpwd work on the local side.",
     .examples = "sfs shell\n"
                 "sfs> cd docs\n"
                 "sfs> put \"my file.txt\"",
     .modes = kCommandLine, .session = run_shell},

    {.name = "trust",
     .args = {{"ACTION", K::kNone, true, "list, or forget"},
              {"SERVER", K::kNone, false, "forget: HOST:PORT, or HOST for all its ports"}},
     .help = "List the pinned servers, or forget the pin of one (no login)",
     .details = "Pins are in known_servers ($XDG_CONFIG_HOME/sfs, else ~/.config/sfs). Forget\n"
                "a server whose certificate was replaced on purpose; the next connection\n"
                "asks again (or pins it with --trust-new).",
     .examples = "sfs trust list\n"
                 "sfs trust forget files.example.org:9001\n"
                 "sfs trust forget files.example.org   (every port)",
     .modes = kCommandLine, .local = trust_command},

    {.name = "cd",
     .args = {{"DIR", K::kRemoteDir, false, "Remote folder (default: the top)"}},
     .help = "Change the remote directory (alone: to the top)",
     .modes = kInSessions, .handler = do_cd},

    {.name = "pwd",
     .help = "Print the remote directory",
     .modes = kInSessions, .handler = do_pwd},

    {.name = "lcd",
     .args = {{"DIR", K::kLocalDir, false, "Local directory (default: $HOME)"}},
     .help = "Change the local directory (alone: to $HOME)",
     .modes = kInSessions, .handler = do_lcd},

    {.name = "lls",
     .args = {{"DIR", K::kLocalDir, false, "Local directory (default: the current one)"}},
     .help = "List a local directory",
     .modes = kInSessions, .handler = do_lls},

    {.name = "lpwd",
     .help = "Print the local directory",
     .modes = kInSessions, .handler = do_lpwd},

    {.name = "help", .aliases = {"?"},
     .args = {{"COMMAND", K::kCommand, false, "A command"}},
     .help = "Show the commands, or one in detail",
     .examples = "sfs help\n"
                 "sfs help put",
     .modes = kInSessions | kCommandLine, .handler = do_help, .hints = {"man"},
     .local = help_command},

    {.name = "exit", .aliases = {"quit", "bye"},
     .help = "Leave (so does end of input, Ctrl-D)",
     .modes = kInSessions, .handler = do_exit},
  };
}
// clang-format on

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = make_table();
  return table;
}

const Command* find_command(std::string_view name, Mode mode) {
  const std::vector<Command>& table = command_table();
  auto it = std::find_if(table.begin(), table.end(),
                         [&](const Command& c) { return c.available_in(mode) && c.named(name); });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace sfs::client
