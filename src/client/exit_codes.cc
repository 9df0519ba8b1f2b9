#include "client/exit_codes.h"

namespace sfs::client {

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::kAuth:
      return kExitAuth;
    case Errc::kNotFound:
      return kExitNotFound;
    case Errc::kBadPath:
    case Errc::kIsDir:
    case Errc::kNotDir:
    case Errc::kExists:
    case Errc::kNotEmpty:
    case Errc::kBadRequest:
      return kExitRefused;
    case Errc::kNetwork:
    case Errc::kProtocol:
      return kExitNetwork;
    case Errc::kTrust:
      return kExitTrust;
    case Errc::kLocal:
      return kExitLocal;
    case Errc::kTooLarge:
      return kExitTooLarge;
    case Errc::kIo:
    case Errc::kAborted:
      return kExitServerIo;
    case Errc::kIntegrity:
      return kExitIntegrity;
    case Errc::kInternal:
      return kExitError;
  }
  return kExitError;
}

}  // namespace sfs::client
