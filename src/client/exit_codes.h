#pragma once
// The client's exit statuses: stable, one per class of error, so scripts can
// tell "wrong password" from "no such file" from "network down".

#include "base/result.h"

namespace sfs::client {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,       // anything not listed below
  kExitUsage = 2,       // bad command line
  kExitAuth = 3,        // login failed
  kExitNotFound = 4,    // no such file (remote or local)
  kExitRefused = 5,     // path refused, is a directory, bad request
  kExitNetwork = 6,     // cannot connect, connection lost, timeout, protocol
  kExitTrust = 7,       // server identity not verified
  kExitLocal = 8,       // local file could not be read or written
  kExitTooLarge = 9,    // size limit
  kExitServerIo = 10,   // the server could not read or write its storage
  kExitIntegrity = 11,  // data does not match its digest
};

int exit_code_for(Errc code);

}  // namespace sfs::client
