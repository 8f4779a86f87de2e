// libFuzzer target for the DHCPv4 leasequery codec (src/leasequery/dhcp4_wire): frames the
// input as a TCP stream, decodes every message, parses it as a query and as a reply,
// describes it, and checks that what decodes re-encodes to a message that decodes the same
// (not to the same bytes: pad, a missing END and RFC 3396 split points are normalised).
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "leasequery/dhcp4_wire.h"
#include "leasequery/peer_identity.h"

namespace {

using namespace leasehold::leasequery;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

dhcp4::Message reencoded(const dhcp4::Message& m) {
  dhcp4::Bytes frame = dhcp4::encode(m);
  auto back = dhcp4::decode(std::span<const std::uint8_t>(frame).subspan(2));
  check(back.ok());
  return *back;
}

void check_query(const dhcp4::Query& q) {
  using dhcp4::QueryKind;
  check(q.msg_type == dhcp4::kBulkLeasequery || q.msg_type == dhcp4::kActiveLeasequery);
  check(!(q.active() && (q.end_time || q.kind != QueryKind::kAllAddresses)));
  check(!(q.start_time && q.end_time && *q.start_time > *q.end_time));
  check((q.kind == QueryKind::kByHardwareAddress) == !q.hardware_address.empty());
  check((q.kind == QueryKind::kByClientId) == q.client_id.has_value());
  check((q.kind == QueryKind::kByRelayId) == q.relay_id.has_value());
  check((q.kind == QueryKind::kByRemoteId) == q.remote_id.has_value());
  check(q.hardware_address.size() <= 16);
  if (q.client_id) (void)peer_of_client_id(*q.client_id);
}

// A binding read from a reply survives being sent again.
void check_binding(const dhcp4::Binding& b, std::uint32_t xid) {
  auto again = dhcp4::parse_binding(reencoded(dhcp4::lease_active(xid, b, 1)));
  check(again.has_value());
  check(again->address == b.address && again->client_id == b.client_id);
  check(again->lease_seconds_left == b.lease_seconds_left && again->seconds_in_state == b.seconds_in_state);
  check(again->seconds_since_transaction == b.seconds_since_transaction);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FrameReader frames(4096);
  frames.feed(std::span<const std::uint8_t>(data, size));
  for (int i = 0; i < 64; ++i) {
    auto body = frames.next();
    if (!body.ok() || !body->has_value()) break;
    auto message = dhcp4::decode(**body);
    if (!message.ok()) continue;
    check(reencoded(*message) == *message);
    (void)dhcp4::describe(*message);
    (void)dhcp4::find_status(*message);
    (void)dhcp4::find_base_time(*message);
    auto parsed = dhcp4::parse_query(*message);
    if (auto* q = std::get_if<dhcp4::Query>(&parsed)) check_query(*q);
    else (void)dhcp4::final_status(message->message_type(), message->xid, std::get<dhcp4::QueryError>(parsed).status, "", 0);
    if (auto b = dhcp4::parse_binding(*message)) check_binding(*b, message->xid);
  }
  return 0;
}
