// DHCPv6 leasequery on the wire (RFC 5007 leasequery, RFC 5460 bulk, RFC 7653 / the
// active-leasequery draft): message and option layout, query parsing with the status a
// bad query earns, and the reply builders; the 2-octet TCP framing is in tcp_frame.h.
// Pure bytes: no I/O. Times in LQ_BASE_TIME / LQ_START_TIME / LQ_END_TIME are
// "absolute": seconds since 2000-01-01 UTC.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "leasequery/tcp_frame.h"

namespace leasehold::leasequery::dhcp6 {

enum MessageType : std::uint8_t {
  kLeasequery = 14,
  kLeasequeryReply = 15,
  kLeasequeryDone = 16,
  kLeasequeryData = 17,
  kActiveLeasequery = 22,
  kStartTls = 23,
};

enum OptionCode : std::uint16_t {
  kOptClientId = 1,
  kOptServerId = 2,
  kOptIaAddr = 5,
  kOptOro = 6,
  kOptStatusCode = 13,
  kOptIaPrefix = 26,
  kOptRemoteId = 37,
  kOptLqQuery = 44,
  kOptClientData = 45,
  kOptCltTime = 46,
  kOptLqRelayData = 47,
  kOptLqClientLink = 48,
  kOptRelayId = 53,
  kOptLqBaseTime = 100,
  kOptLqStartTime = 101,
  kOptLqEndTime = 102,
};

enum QueryType : std::uint8_t {
  kByAddress = 1,
  kByClientId = 2,
  kByRelayId = 3,
  kByLinkAddress = 4,
  kByRemoteId = 5,
};

enum Status : std::uint16_t {
  kSuccess = 0,
  kUnspecFail = 1,
  kUnknownQueryType = 7,
  kMalformedQuery = 8,
  kNotConfigured = 9,
  kNotAllowed = 10,
  kQueryTerminated = 11,
  kDataMissing = 12,
  kCatchUpComplete = 13,
  kNotSupported = 14,
  kTlsConnectionRefused = 15,
};

const char* message_type_name(std::uint8_t type);
const char* status_name(std::uint16_t status);

inline constexpr std::int64_t kEpoch2000 = 946684800;  // 2000-01-01 00:00 UTC in Unix seconds
std::uint32_t absolute_time(std::int64_t unix_seconds);  // clamped to 0..2^32-1
inline std::int64_t unix_time(std::uint32_t absolute) { return kEpoch2000 + absolute; }

using Bytes = leasequery::Bytes;
using Address6 = std::array<std::uint8_t, 16>;

struct Option {
  std::uint16_t code = 0;
  Bytes data;
};

struct Message {
  std::uint8_t type = 0;
  std::uint32_t xid = 0;  // 24 bits
  std::vector<Option> options;
  const Option* find(std::uint16_t code) const;
};

// The TCP frame: 2-octet big-endian length, then type, 3-octet xid, options.
Bytes encode(const Message& message);
// One message body (without the length prefix). Strict: every option must fit exactly.
Result<Message> decode(std::span<const std::uint8_t> body);
// Options packed one after another (the inside of an encapsulating option).
Result<std::vector<Option>> decode_options(std::span<const std::uint8_t> data);

// The 2-octet length framing lives in tcp_frame.h, shared with the DHCPv4 codec; the
// alias keeps dhcp6::FrameReader working for existing callers.
using FrameReader = leasequery::FrameReader;

// A query as the server reads it.
struct Query {
  std::uint8_t msg_type = 0;  // kLeasequery or kActiveLeasequery
  std::uint32_t xid = 0;
  std::uint8_t query_type = 0;
  Address6 link_address{};
  std::optional<Address6> address;         // IAADDR inside LQ_QUERY (by address)
  std::optional<Bytes> client_duid;        // CLIENTID inside LQ_QUERY (by client id)
  std::optional<Bytes> relay_id;           // RELAY_ID inside LQ_QUERY
  std::optional<Bytes> remote_id;          // REMOTE_ID inside LQ_QUERY
  std::optional<std::uint32_t> start_time; // LQ_START_TIME (absolute)
  std::optional<std::uint32_t> end_time;   // LQ_END_TIME (absolute; bulk only)
  bool wants_base_time = false;            // LQ_BASE_TIME asked for in an ORO
  std::optional<Bytes> requestor_client_id;  // top-level CLIENTID, echoed in the reply
  bool active() const { return msg_type == kActiveLeasequery; }
};

struct QueryError {
  std::uint16_t status = kMalformedQuery;
  std::string text;
};

std::variant<Query, QueryError> parse_query(const Message& message);

// One binding as replies carry it: lifetimes are what remains (0 for an ended binding),
// clt_time the seconds since the client's last transaction.
struct Binding {
  Address6 address{};
  Bytes duid;
  std::uint32_t preferred_lifetime = 0;
  std::uint32_t valid_lifetime = 0;
  std::uint32_t clt_time = 0;
};

using StatusPair = std::pair<std::uint16_t, std::string>;

Option status_option(std::uint16_t status, std::string_view text);
// OPTION_CLIENT_DATA: CLIENTID, IAADDR, CLT_TIME.
Option client_data(const Binding& binding);

// LEASEQUERY-REPLY: STATUS_CODE, CLIENTID (the requestor's), SERVERID, LQ_BASE_TIME,
// CLIENT_DATA (the first binding), each when given.
Message reply(std::uint32_t xid, const std::optional<StatusPair>& status, const Bytes& server_duid,
              const std::optional<Bytes>& requestor_client_id, std::optional<std::uint32_t> base_time,
              const Binding* first);
// LEASEQUERY-DATA: STATUS_CODE, LQ_BASE_TIME, CLIENT_DATA, each when given.
Message data(std::uint32_t xid, const Binding* binding, std::optional<std::uint32_t> base_time,
             const std::optional<StatusPair>& status);
// LEASEQUERY-DONE: STATUS_CODE, LQ_BASE_TIME, each when given.
Message done(std::uint32_t xid, const std::optional<StatusPair>& status, std::optional<std::uint32_t> base_time);

// What requestors read back.
std::optional<StatusPair> find_status(const Message& message);
std::optional<std::uint32_t> find_base_time(const Message& message);
std::optional<Binding> parse_client_data(const Option& client_data);

// Requestor side: an active query for everything (BY_LINK_ADDRESS ::) asking for the base
// time, and a bulk query.
Message active_query(std::uint32_t xid, const Bytes& requestor_duid, std::optional<std::uint32_t> start_time);
struct BulkAsk {
  std::uint8_t query_type = kByLinkAddress;
  std::optional<Address6> address;
  std::optional<Bytes> client_duid;
  std::optional<std::uint32_t> start_time, end_time;
};
Message bulk_query(std::uint32_t xid, const Bytes& requestor_duid, const BulkAsk& ask);

// One line for people: type, xid, status, base time, binding.
std::string describe(const Message& message);

}  // namespace leasehold::leasequery::dhcp6
