#include "lease/lease.h"

namespace leasehold::lease {

const char* change_kind_name(LeaseChange::Kind kind) {
  switch (kind) {
    case LeaseChange::Kind::grant: return "grant";
    case LeaseChange::Kind::renew: return "renew";
    case LeaseChange::Kind::release: return "release";
    case LeaseChange::Kind::expire: return "expire";
    case LeaseChange::Kind::remove: return "remove";
  }
  return "unknown";
}

}  // namespace leasehold::lease
