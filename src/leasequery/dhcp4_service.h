// DHCPv4 leasequery as a TcpQueryService protocol: bulk (RFC 6926) and active (RFC 7724)
// queries answered from the same journal and change hub as DHCPv6. Only IPv4 bindings; a
// peer is named by its client identifier (peer_identity.h).
//   Bulk: by client identifier, or all bindings (by hardware address, relay id and remote
//   id match nothing: peers have no MAC and there are no relays); optionally the bindings
//   that changed between query-start-time and query-end-time. One DHCPLEASEACTIVE per live
//   binding (DHCPLEASEUNASSIGNED for ended ones in a time window), then DHCPLEASEQUERYDONE.
//   Errors: DHCPLEASEQUERYDONE with the status; the connection stays open.
//   Active: with query-start-time, the catch-up of what changed since then ended by a
//   DHCPLEASEQUERYSTATUS CatchUpComplete, or at once a DHCPLEASEQUERYSTATUS DataMissing when
//   the journal does not reach back (only live changes follow); then each change as it
//   commits, a base-time-only DHCPLEASEQUERYSTATUS after `idle_timeout` of silence, and
//   DHCPLEASEQUERYDONE QueryTerminated when the server stops. Errors: DHCPLEASEQUERYSTATUS
//   with the status, then the connection closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "leasequery/change_hub.h"
#include "leasequery/tcp_query_service.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

struct Dhcp4ProtocolOptions {
  std::chrono::seconds idle_timeout{60};
};

// `reader` must be used only on the service's loop; `now` gives wall-clock Unix seconds.
std::unique_ptr<QueryProtocol> make_dhcp4_protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp4ProtocolOptions options,
                                                   std::function<std::int64_t()> now);

}  // namespace leasehold::leasequery
