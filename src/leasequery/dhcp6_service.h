// DHCPv6 leasequery as a TcpQueryService protocol: bulk (RFC 5460) and active (RFC 7653 /
// the draft in shared/spec/004) queries answered from the journal and the change hub.
// Only IPv6 bindings; a peer is named by its DUID (peer_identity.h). Bulk: by address, by
// client id, by link address (:: = all, else the /64), optionally between a start and an
// end time. Active: a reply with the base time, catch-up from LQ_START_TIME ending in
// CatchUpComplete (or DataMissing), then each change as it commits, a base-time-only
// LEASEQUERY-DATA after `idle_timeout` of silence; LEASEQUERY-DONE QueryTerminated when
// the server stops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "leasequery/change_hub.h"
#include "leasequery/tcp_query_service.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

struct Dhcp6ProtocolOptions {
  std::vector<std::uint8_t> server_duid;
  std::chrono::seconds idle_timeout{60};
};

// `reader` must be used only on the service's loop; `now` gives wall-clock Unix seconds.
std::unique_ptr<QueryProtocol> make_dhcp6_protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp6ProtocolOptions options,
                                                   std::function<std::int64_t()> now);

}  // namespace leasehold::leasequery
