#include "common/result.h"

namespace leasehold {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::not_found: return "not found";
    case Errc::conflict: return "conflict";
    case Errc::exhausted: return "exhausted";
    case Errc::corruption: return "corruption";
    case Errc::io: return "i/o error";
    case Errc::unavailable: return "unavailable";
  }
  return "unknown";
}

}  // namespace leasehold
