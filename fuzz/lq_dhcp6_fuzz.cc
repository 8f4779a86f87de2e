// libFuzzer target for the DHCPv6 leasequery codec (src/leasequery/dhcp6_wire): frames the
// input as a TCP stream, decodes every message, parses it as a query, describes it, and
// checks that what decodes re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "leasequery/dhcp6_wire.h"
#include "leasequery/peer_identity.h"

namespace {

using namespace leasehold::leasequery;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dhcp6::FrameReader frames(4096);
  frames.feed(std::span<const std::uint8_t>(data, size));
  for (int i = 0; i < 64; ++i) {
    auto body = frames.next();
    if (!body.ok() || !body->has_value()) break;
    auto message = dhcp6::decode(**body);
    if (!message.ok()) continue;
    auto frame = dhcp6::encode(*message);
    check(frame.size() == (*body)->size() + 2);
    check(std::equal(frame.begin() + 2, frame.end(), (*body)->begin()));
    (void)dhcp6::describe(*message);
    auto parsed = dhcp6::parse_query(*message);
    if (auto* q = std::get_if<dhcp6::Query>(&parsed)) {
      check(q->msg_type == dhcp6::kLeasequery || q->msg_type == dhcp6::kActiveLeasequery);
      check(!(q->active() && q->end_time));
      if (q->client_duid) (void)peer_of_duid(*q->client_duid);
    }
    for (const auto& o : message->options)
      if (o.code == dhcp6::kOptClientData) (void)dhcp6::parse_client_data(o);
  }
  return 0;
}
