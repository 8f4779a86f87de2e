// DHCPv4 leasequery on the wire (RFC 6926 bulk, RFC 7724 active, with RFC 4388's options):
// the BOOTP message and its options, query parsing with the status a bad query earns, the
// server's reply builders and the requestor's queries and readers. The 2-octet TCP framing
// is tcp_frame.h's. Pure bytes: no I/O, no logging; plain values, not thread-aware.
// Times: base-time, query-start-time and query-end-time are "absolute" (RFC 6926: seconds
// since 1970-01-01 UTC, unsigned 32 bits; not DHCPv6's 2000 epoch). Lease time,
// client-last-transaction-time and start-time-of-state are seconds relative to base-time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"
#include "leasequery/tcp_frame.h"

namespace leasehold::leasequery::dhcp4 {

enum MessageType : std::uint8_t {
  kLeaseUnassigned = 11,  // DHCPLEASEUNASSIGNED
  kLeaseUnknown = 12,     // DHCPLEASEUNKNOWN
  kLeaseActive = 13,      // DHCPLEASEACTIVE
  kBulkLeasequery = 14,   // DHCPBULKLEASEQUERY
  kLeasequeryDone = 15,   // DHCPLEASEQUERYDONE
  kActiveLeasequery = 16, // DHCPACTIVELEASEQUERY
  kLeasequeryStatus = 17, // DHCPLEASEQUERYSTATUS
  kTls = 18,              // DHCPTLS
};

enum OptionCode : std::uint8_t {
  kOptPad = 0,
  kOptLeaseTime = 51,
  kOptMessageType = 53,
  kOptServerIdentifier = 54,
  kOptParameterRequestList = 55,
  kOptClientId = 61,
  kOptRelayAgentInfo = 82,
  kOptClientLastTransactionTime = 91,
  kOptAssociatedIp = 92,
  kOptStatusCode = 151,
  kOptBaseTime = 152,
  kOptStartTimeOfState = 153,
  kOptQueryStartTime = 154,
  kOptQueryEndTime = 155,
  kOptDhcpState = 156,
  kOptDataSource = 157,
  kOptVirtualSubnetSelection = 221,  // RFC 6607: names a VPN
  kOptEnd = 255,
};

// Sub-options inside the relay agent information option (82).
enum RelaySubOption : std::uint8_t {
  kSubRemoteId = 2,  // RFC 3046
  kSubRelayId = 12,  // RFC 6925
};

enum DhcpState : std::uint8_t {
  kStateAvailable = 1,
  kStateActive = 2,
  kStateExpired = 3,
  kStateReleased = 4,
  kStateAbandoned = 5,
  kStateReset = 6,
  kStateRemote = 7,
  kStateTransitioning = 8,
};

enum StatusCode : std::uint8_t {
  kSuccess = 0,
  kUnspecFail = 1,
  kQueryTerminated = 2,
  kMalformedQuery = 3,
  kNotAllowed = 4,
  kDataMissing = 5,           // RFC 7724 from here on
  kConnectionActive = 6,
  kCatchUpComplete = 7,
  kTlsConnectionRefused = 8,
};

enum BootpOp : std::uint8_t { kBootRequest = 1, kBootReply = 2 };

const char* message_type_name(std::uint8_t type);
const char* status_name(std::uint8_t status);
const char* state_name(std::uint8_t state);

// Absolute time is Unix time cut to 32 unsigned bits (it runs out in 2106).
std::uint32_t absolute_time(std::int64_t unix_seconds);  // clamped to 0..2^32-1
inline std::int64_t unix_time(std::uint32_t absolute) { return absolute; }

using Bytes = leasequery::Bytes;
using Address4 = std::array<std::uint8_t, 4>;

inline constexpr std::size_t kFixedPartSize = 236;  // op .. file, before the magic cookie
inline constexpr std::array<std::uint8_t, 4> kMagicCookie{99, 130, 83, 99};

struct Option {
  std::uint8_t code = 0;
  Bytes data;
  bool operator==(const Option&) const = default;
};

// One BOOTP-format message (RFC 2131 layout). Options are kept in wire order without pad
// and end, one entry per code: RFC 3396 instances are joined when decoding.
struct Message {
  std::uint8_t op = 0;
  std::uint8_t htype = 0;
  std::uint8_t hlen = 0;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;
  Address4 ciaddr{};
  Address4 yiaddr{};
  Address4 siaddr{};
  Address4 giaddr{};
  std::array<std::uint8_t, 16> chaddr{};
  std::array<std::uint8_t, 64> sname{};
  std::array<std::uint8_t, 128> file{};
  std::vector<Option> options;

  const Option* find(std::uint8_t code) const;
  // Option 53's value; 0 (no DHCP type) when it is missing or not one octet.
  std::uint8_t message_type() const;
  bool operator==(const Message&) const = default;
};

// The TCP frame: length prefix, fixed part, magic cookie, options, END. A value longer than
// 255 octets goes out as consecutive instances of its code (RFC 3396); entries coded pad or
// end are not options and are skipped. REQUIRES: the body fits a frame (kMaxFrameBody).
Bytes encode(const Message& message);
// One body without its length prefix. Errors: shorter than fixed part + cookie, a wrong
// cookie, an option header or value running past the body, anything but pad after END.
// A missing END is accepted: the frame already delimits the body. Option overload (52) is
// not interpreted: sname and file stay opaque.
Result<Message> decode(std::span<const std::uint8_t> body);

// What a DHCPBULKLEASEQUERY asks for (RFC 6926 query types). There is no query by IP
// address: that is RFC 4388's single-binding UDP leasequery, and a bulk query's ciaddr
// must be zero.
enum class QueryKind : std::uint8_t {
  kByHardwareAddress,  // htype, hlen, chaddr
  kByClientId,         // option 61
  kByRelayId,          // option 82, sub-option 12
  kByRemoteId,         // option 82, sub-option 2
  kAllAddresses,       // none of those; the only kind an active query may be
};
const char* query_kind_name(QueryKind kind);

// A query as the server reads it.
struct Query {
  std::uint8_t msg_type = 0;  // kBulkLeasequery or kActiveLeasequery
  std::uint32_t xid = 0;
  QueryKind kind = QueryKind::kAllAddresses;
  std::uint8_t htype = 0;                      // by hardware address
  Bytes hardware_address;                      // chaddr's first hlen octets
  std::optional<Bytes> client_id;              // option 61
  std::optional<Bytes> relay_id;               // option 82 sub-option 12
  std::optional<Bytes> remote_id;              // option 82 sub-option 2
  std::optional<std::uint32_t> start_time;     // query-start-time (absolute)
  std::optional<std::uint32_t> end_time;       // query-end-time (absolute; bulk only)
  std::vector<std::uint8_t> requested_options; // parameter request list (55), in order
  bool names_vpn = false;  // option 221 present: leasehold has no VPNs (refuse, NotAllowed)
  bool active() const { return msg_type == kActiveLeasequery; }
  bool asks_for(std::uint8_t code) const;
};

struct QueryError {
  std::uint8_t status = kMalformedQuery;
  std::string text;
};

// MalformedQuery for: a type other than bulk or active query, ciaddr set, hlen over 16 or
// htype without hlen (or the reverse), a client id under 2 octets, a broken option 82 or an
// empty relay-id / remote-id, a time option not 4 octets, start after end, more than one
// query kind; in an active query also query-end-time or any query kind but all addresses.
std::variant<Query, QueryError> parse_query(const Message& message);

// One binding as replies carry it. Durations are seconds relative to the base-time.
struct Binding {
  Address4 address{};
  Bytes client_id;                             // option 61; empty: not sent
  std::uint32_t lease_seconds_left = 0;        // option 51 (active bindings)
  std::uint32_t seconds_since_transaction = 0; // option 91, client-last-transaction-time
  std::uint8_t state = kStateActive;           // option 156
  std::uint32_t seconds_in_state = 0;          // option 153: the state began this long before base-time
};

using StatusPair = std::pair<std::uint8_t, std::string>;

// Option 151: one octet of code, then UTF-8 text without a terminator (RFC 6926 §6.2.2).
Option status_option(std::uint8_t status, std::string_view text);

// Server side. Every reply is op BOOTREPLY, echoes the query's xid, has htype, hlen and
// chaddr zero (peers have no hardware address) and starts with option 53.

// DHCPLEASEACTIVE (RFC 4388's reply, RFC 6926 §6.2 options): ciaddr = the address, then
// client-id (when there is one), lease time, client-last-transaction-time, base-time,
// dhcp-state ACTIVE, start-time-of-state.
Message lease_active(std::uint32_t xid, const Binding& binding, std::uint32_t base_time);
// DHCPLEASEUNASSIGNED for a binding that ended (RFC 6926: with a query-start-time, bindings
// that left the active state are reported so): ciaddr = the address, client-id (when
// known), client-last-transaction-time, base-time, dhcp-state as given (RELEASED, EXPIRED,
// AVAILABLE), start-time-of-state. No lease time: there is no lease left.
// REQUIRES: binding.state != kStateActive.
Message lease_unassigned(std::uint32_t xid, const Binding& binding, std::uint32_t base_time);
// DHCPLEASEQUERYSTATUS (RFC 7724): status-code, then base-time when given. Carries the
// active query's refusals and the DataMissing / CatchUpComplete notices.
Message status(std::uint32_t xid, std::uint8_t code, std::string_view text, std::optional<std::uint32_t> base_time);
// DHCPLEASEQUERYDONE (RFC 6926): ends a bulk query; status-code when given (absent means
// Success), base-time when given.
Message done(std::uint32_t xid, const std::optional<StatusPair>& status, std::optional<std::uint32_t> base_time);
// RFC 7724, catch-up phase: a query-start-time older than the server's history gets
// DataMissing first, and the server then sends everything it has.
Message data_missing(std::uint32_t xid, std::string_view text, std::uint32_t base_time);
// RFC 7724, catch-up phase: the bindings changed since query-start-time have all been sent;
// live updates follow.
Message catch_up_complete(std::uint32_t xid, std::uint32_t base_time);
// RFC 7724, ACTIVE_LQ_IDLE_TIMEOUT: after that long without sending, a DHCPLEASEQUERYSTATUS
// with only the base-time (no status-code: Success) shows the connection is alive.
Message keepalive(std::uint32_t xid, std::uint32_t base_time);
// The message that ends a query with a status (a refusal, QueryTerminated, UnspecFail):
// DHCPLEASEQUERYSTATUS for an active query (RFC 7724), DHCPLEASEQUERYDONE for a bulk one
// (RFC 6926). `query_type` is the query's message type.
Message final_status(std::uint8_t query_type, std::uint32_t xid, std::uint8_t code, std::string_view text,
                     std::optional<std::uint32_t> base_time);
// Puts server-identifier (54) right after option 53; Kea sends it in the first reply of
// each bulk query (RFC 2131 asks it of every server reply).
void add_server_identifier(Message& reply, const Address4& server);

// Requestor side (leaseholdctl, tests).
// DHCPACTIVELEASEQUERY for every binding, asking (option 55) for the options the builders
// above send; query-start-time when given asks for catch-up.
Message active_query(std::uint32_t xid, std::optional<std::uint32_t> start_time);
// DHCPBULKLEASEQUERY: only the key that `kind` names is sent.
struct BulkAsk {
  QueryKind kind = QueryKind::kAllAddresses;
  std::uint8_t htype = 1;  // Ethernet
  Bytes hardware_address;  // REQUIRES: 1 to 16 octets
  Bytes client_id;
  Bytes relay_id;   // REQUIRES: at most 255 octets
  Bytes remote_id;  // REQUIRES: at most 255 octets
  std::optional<std::uint32_t> start_time, end_time;
};
Message bulk_query(std::uint32_t xid, const BulkAsk& ask);

std::optional<StatusPair> find_status(const Message& message);  // nullopt: none (Success) or malformed
std::optional<std::uint32_t> find_base_time(const Message& message);
// The binding of a DHCPLEASEACTIVE or DHCPLEASEUNASSIGNED (ciaddr set); nullopt for others.
std::optional<Binding> parse_binding(const Message& message);

// One line for people: type, xid, status, base time, query kind or binding.
std::string describe(const Message& message);

}  // namespace leasehold::leasequery::dhcp4
