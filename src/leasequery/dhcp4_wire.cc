#include "leasequery/dhcp4_wire.h"

#include <algorithm>
#include <cstdio>

namespace leasehold::leasequery::dhcp4 {
namespace {

constexpr std::size_t kOptionsStart = kFixedPartSize + kMagicCookie.size();  // 240
constexpr std::size_t kMaxOptionValue = 255;

void put16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xffff);
}
template <std::size_t N>
void put_array(Bytes& out, const std::array<std::uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}
std::uint32_t get16(std::span<const std::uint8_t> b, std::size_t at) { return std::uint32_t{b[at]} << 8 | b[at + 1]; }
std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) { return get16(b, at) << 16 | get16(b, at + 2); }
template <std::size_t N>
void get_array(std::span<const std::uint8_t> b, std::size_t at, std::array<std::uint8_t, N>& out) {
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), N, out.begin());
}

Option u8_option(std::uint8_t code, std::uint8_t v) { return Option{code, Bytes{v}}; }
Option u32_option(std::uint8_t code, std::uint32_t v) {
  Option o{code, {}};
  put32(o.data, v);
  return o;
}

std::optional<std::uint32_t> u32_value(const Option* o) {
  if (!o || o->data.size() != 4) return std::nullopt;
  return get32(o->data, 0);
}

bool is_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[3];
  for (auto b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

std::string address_text(const Address4& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

// ---- encoding ----

void put_fixed_part(Bytes& out, const Message& m) {
  out.insert(out.end(), {m.op, m.htype, m.hlen, m.hops});
  put32(out, m.xid);
  put16(out, m.secs);
  put16(out, m.flags);
  for (const Address4* a : {&m.ciaddr, &m.yiaddr, &m.siaddr, &m.giaddr}) put_array(out, *a);
  put_array(out, m.chaddr);
  put_array(out, m.sname);
  put_array(out, m.file);
}

void put_option(Bytes& out, const Option& o) {
  if (o.code == kOptPad || o.code == kOptEnd) return;  // not options: written, they would misframe the rest
  std::span<const std::uint8_t> rest(o.data);
  do {  // RFC 3396: a longer value is split over consecutive instances
    std::size_t n = std::min(rest.size(), kMaxOptionValue);
    out.push_back(o.code);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(n));
    rest = rest.subspan(n);
  } while (!rest.empty());
}

// ---- decoding ----

// RFC 3396: every instance of a code is one value, joined in order.
void add_or_join(std::vector<Option>& options, std::uint8_t code, std::span<const std::uint8_t> value) {
  auto same = std::find_if(options.begin(), options.end(), [code](const Option& o) { return o.code == code; });
  if (same == options.end()) same = options.insert(options.end(), Option{code, {}});
  same->data.insert(same->data.end(), value.begin(), value.end());
}

Error option_error(std::string text, std::size_t at) {
  return make_error(Errc::invalid_argument, text + " at octet " + std::to_string(kOptionsStart + at));
}

Result<std::vector<Option>> decode_options(std::span<const std::uint8_t> data) {
  std::vector<Option> out;
  std::size_t at = 0;
  while (at < data.size()) {
    std::uint8_t code = data[at];
    if (code == kOptPad) {
      ++at;
      continue;
    }
    if (code == kOptEnd) {
      if (!is_zero(data.subspan(at + 1))) return option_error("octets other than pad after end", at);
      return out;
    }
    if (data.size() - at < 2) return option_error("option " + std::to_string(code) + " has no length octet", at);
    std::size_t length = data[at + 1];
    if (data.size() - at - 2 < length)
      return option_error("option " + std::to_string(code) + " claims " + std::to_string(length) + " octets, " +
                              std::to_string(data.size() - at - 2) + " left",
                          at);
    add_or_join(out, code, data.subspan(at + 2, length));
    at += 2 + length;
  }
  return out;
}

Message decode_fixed_part(std::span<const std::uint8_t> b) {
  Message m;
  m.op = b[0];
  m.htype = b[1];
  m.hlen = b[2];
  m.hops = b[3];
  m.xid = get32(b, 4);
  m.secs = static_cast<std::uint16_t>(get16(b, 8));
  m.flags = static_cast<std::uint16_t>(get16(b, 10));
  get_array(b, 12, m.ciaddr);
  get_array(b, 16, m.yiaddr);
  get_array(b, 20, m.siaddr);
  get_array(b, 24, m.giaddr);
  get_array(b, 28, m.chaddr);
  get_array(b, 44, m.sname);
  get_array(b, 108, m.file);
  return m;
}

// Relay agent sub-options (RFC 3046): code, length, value; no pad, no end.
Result<std::vector<Option>> decode_sub_options(std::span<const std::uint8_t> data) {
  std::vector<Option> out;
  for (std::size_t at = 0; at < data.size();) {
    if (data.size() - at < 2 || data.size() - at - 2 < data[at + 1])
      return make_error(Errc::invalid_argument, "sub-option " + std::to_string(data[at]) + " runs past the option");
    out.push_back(Option{data[at], Bytes(data.begin() + static_cast<std::ptrdiff_t>(at + 2),
                                         data.begin() + static_cast<std::ptrdiff_t>(at + 2 + data[at + 1]))});
    at += 2 + data[at + 1];
  }
  return out;
}

const Option* find_in(const std::vector<Option>& options, std::uint8_t code) {
  auto it = std::find_if(options.begin(), options.end(), [code](const Option& o) { return o.code == code; });
  return it == options.end() ? nullptr : &*it;
}

// ---- query parsing ----

using Parsed = std::variant<Query, QueryError>;

QueryError malformed(std::string text) { return QueryError{kMalformedQuery, std::move(text)}; }

std::optional<QueryError> read_hardware_address(const Message& m, Query& q) {
  if (m.htype == 0 && m.hlen == 0) return std::nullopt;
  if (m.hlen > m.chaddr.size()) return malformed("hlen " + std::to_string(m.hlen) + " exceeds chaddr's 16 octets");
  if (m.htype == 0 || m.hlen == 0) return malformed("a query by hardware address needs both htype and hlen");
  q.htype = m.htype;
  q.hardware_address.assign(m.chaddr.begin(), m.chaddr.begin() + m.hlen);
  return std::nullopt;
}

std::optional<QueryError> read_client_id(const Message& m, Query& q) {
  const Option* id = m.find(kOptClientId);
  if (!id) return std::nullopt;
  if (id->data.size() < 2) return malformed("client-identifier shorter than 2 octets");  // RFC 2132 §9.14
  q.client_id = id->data;
  return std::nullopt;
}

std::optional<QueryError> read_relay_keys(const Message& m, Query& q) {
  const Option* rai = m.find(kOptRelayAgentInfo);
  if (!rai) return std::nullopt;
  auto subs = decode_sub_options(rai->data);
  if (!subs) return malformed("relay agent information: " + subs.error().message);
  if (const Option* r = find_in(*subs, kSubRelayId)) {
    if (r->data.empty()) return malformed("empty relay-id sub-option");
    q.relay_id = r->data;
  }
  if (const Option* r = find_in(*subs, kSubRemoteId)) {
    if (r->data.empty()) return malformed("empty remote-id sub-option");
    q.remote_id = r->data;
  }
  return std::nullopt;
}

std::optional<QueryError> read_time(const Message& m, std::uint8_t code, const char* name, std::optional<std::uint32_t>& out) {
  const Option* o = m.find(code);
  if (!o) return std::nullopt;
  if (o->data.size() != 4) return malformed(std::string(name) + " must be 4 octets");
  out = get32(o->data, 0);
  return std::nullopt;
}

std::optional<QueryError> read_times(const Message& m, Query& q) {
  if (auto e = read_time(m, kOptQueryStartTime, "query-start-time", q.start_time)) return e;
  if (auto e = read_time(m, kOptQueryEndTime, "query-end-time", q.end_time)) return e;
  if (q.start_time && q.end_time && *q.start_time > *q.end_time) return malformed("query-start-time is after query-end-time");
  return std::nullopt;
}

// RFC 6926: a bulk query names at most one key; none means all configured addresses.
std::optional<QueryError> settle_kind(Query& q) {
  std::vector<QueryKind> named;
  if (!q.hardware_address.empty()) named.push_back(QueryKind::kByHardwareAddress);
  if (q.client_id) named.push_back(QueryKind::kByClientId);
  if (q.relay_id) named.push_back(QueryKind::kByRelayId);
  if (q.remote_id) named.push_back(QueryKind::kByRemoteId);
  if (named.size() > 1)
    return malformed(std::string("more than one query kind: ") + query_kind_name(named[0]) + " and " + query_kind_name(named[1]));
  q.kind = named.empty() ? QueryKind::kAllAddresses : named.front();
  return std::nullopt;
}

// RFC 7724: an active query asks for every binding from now (or from query-start-time)
// on, without end.
std::optional<QueryError> check_active(const Query& q) {
  if (!q.active()) return std::nullopt;
  if (q.end_time) return malformed("query-end-time is not allowed in an active query");
  if (q.kind != QueryKind::kAllAddresses)
    return malformed(std::string("an active query asks for all bindings, not ") + query_kind_name(q.kind));
  return std::nullopt;
}

// ---- replies ----

Message reply_to(std::uint32_t xid, std::uint8_t type) {
  Message m;
  m.op = kBootReply;
  m.xid = xid;
  m.options.push_back(u8_option(kOptMessageType, type));
  return m;
}

void add_binding_address(Message& m, const Binding& b) {
  m.ciaddr = b.address;
  if (!b.client_id.empty()) m.options.push_back(Option{kOptClientId, b.client_id});
}

void add_state(Message& m, std::uint8_t state, std::uint32_t seconds_in_state, std::uint32_t base_time) {
  m.options.push_back(u32_option(kOptBaseTime, base_time));
  m.options.push_back(u8_option(kOptDhcpState, state));
  m.options.push_back(u32_option(kOptStartTimeOfState, seconds_in_state));
}

Message request_of(std::uint32_t xid, std::uint8_t type) {
  Message m = reply_to(xid, type);
  m.op = kBootRequest;
  return m;
}

Option parameter_request_list() {
  return Option{kOptParameterRequestList, Bytes{kOptLeaseTime, kOptClientId, kOptClientLastTransactionTime, kOptBaseTime,
                                                kOptStartTimeOfState, kOptDhcpState}};
}

void put_query_key(Message& m, const BulkAsk& ask) {
  switch (ask.kind) {
    case QueryKind::kByHardwareAddress:
      m.htype = ask.htype;
      m.hlen = static_cast<std::uint8_t>(std::min(ask.hardware_address.size(), m.chaddr.size()));
      std::copy_n(ask.hardware_address.begin(), m.hlen, m.chaddr.begin());
      break;
    case QueryKind::kByClientId:
      m.options.push_back(Option{kOptClientId, ask.client_id});
      break;
    case QueryKind::kByRelayId:
    case QueryKind::kByRemoteId: {
      const Bytes& key = ask.kind == QueryKind::kByRelayId ? ask.relay_id : ask.remote_id;
      Bytes sub{ask.kind == QueryKind::kByRelayId ? kSubRelayId : kSubRemoteId, static_cast<std::uint8_t>(key.size())};
      sub.insert(sub.end(), key.begin(), key.end());
      m.options.push_back(Option{kOptRelayAgentInfo, std::move(sub)});
      break;
    }
    case QueryKind::kAllAddresses:
      break;
  }
}

std::string describe_query(const Message& m) {
  auto parsed = parse_query(m);
  if (auto* e = std::get_if<QueryError>(&parsed)) return " query=(malformed: " + e->text + ")";
  const Query& q = std::get<Query>(parsed);
  std::string out = std::string(" query=") + query_kind_name(q.kind);
  if (q.start_time) out += " start-time=" + std::to_string(*q.start_time);
  if (q.end_time) out += " end-time=" + std::to_string(*q.end_time);
  return out;
}

std::string describe_binding(const Binding& b, bool active) {
  std::string out = " address=" + address_text(b.address) + " state=" + state_name(b.state);
  if (active) out += " lease-time=" + std::to_string(b.lease_seconds_left);
  out += " clt-time=" + std::to_string(b.seconds_since_transaction) + " state-time=" + std::to_string(b.seconds_in_state);
  if (!b.client_id.empty()) out += " client-id=" + hex(b.client_id);
  return out;
}

}  // namespace

const char* message_type_name(std::uint8_t type) {
  switch (type) {
    case kLeaseUnassigned: return "DHCPLEASEUNASSIGNED";
    case kLeaseUnknown: return "DHCPLEASEUNKNOWN";
    case kLeaseActive: return "DHCPLEASEACTIVE";
    case kBulkLeasequery: return "DHCPBULKLEASEQUERY";
    case kLeasequeryDone: return "DHCPLEASEQUERYDONE";
    case kActiveLeasequery: return "DHCPACTIVELEASEQUERY";
    case kLeasequeryStatus: return "DHCPLEASEQUERYSTATUS";
    case kTls: return "DHCPTLS";
  }
  return "unknown";
}

const char* status_name(std::uint8_t status) {
  switch (status) {
    case kSuccess: return "Success";
    case kUnspecFail: return "UnspecFail";
    case kQueryTerminated: return "QueryTerminated";
    case kMalformedQuery: return "MalformedQuery";
    case kNotAllowed: return "NotAllowed";
    case kDataMissing: return "DataMissing";
    case kConnectionActive: return "ConnectionActive";
    case kCatchUpComplete: return "CatchUpComplete";
    case kTlsConnectionRefused: return "TLSConnectionRefused";
  }
  return "unknown";
}

const char* state_name(std::uint8_t state) {
  switch (state) {
    case kStateAvailable: return "AVAILABLE";
    case kStateActive: return "ACTIVE";
    case kStateExpired: return "EXPIRED";
    case kStateReleased: return "RELEASED";
    case kStateAbandoned: return "ABANDONED";
    case kStateReset: return "RESET";
    case kStateRemote: return "REMOTE";
    case kStateTransitioning: return "TRANSITIONING";
  }
  return "unknown";
}

const char* query_kind_name(QueryKind kind) {
  switch (kind) {
    case QueryKind::kByHardwareAddress: return "by-hardware-address";
    case QueryKind::kByClientId: return "by-client-id";
    case QueryKind::kByRelayId: return "by-relay-id";
    case QueryKind::kByRemoteId: return "by-remote-id";
    case QueryKind::kAllAddresses: return "all-addresses";
  }
  return "unknown";
}

std::uint32_t absolute_time(std::int64_t unix_seconds) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(unix_seconds, 0, 0xffffffffLL));
}

const Option* Message::find(std::uint8_t code) const { return find_in(options, code); }

std::uint8_t Message::message_type() const {
  const Option* t = find(kOptMessageType);
  return t && t->data.size() == 1 ? t->data[0] : 0;
}

Bytes encode(const Message& m) {
  Bytes body;
  body.reserve(kOptionsStart + 64);
  put_fixed_part(body, m);
  put_array(body, kMagicCookie);
  for (const auto& o : m.options) put_option(body, o);
  body.push_back(kOptEnd);
  return frame(body);
}

Result<Message> decode(std::span<const std::uint8_t> body) {
  if (body.size() < kOptionsStart)
    return make_error(Errc::invalid_argument, "message of " + std::to_string(body.size()) + " octets is shorter than the " +
                                                  std::to_string(kOptionsStart) + "-octet fixed part and cookie");
  if (!std::equal(kMagicCookie.begin(), kMagicCookie.end(), body.begin() + kFixedPartSize))
    return make_error(Errc::invalid_argument, "magic cookie is not 99.130.83.99");
  Message m = decode_fixed_part(body);
  auto options = decode_options(body.subspan(kOptionsStart));
  if (!options) return options.error();
  m.options = std::move(*options);
  return m;
}

bool Query::asks_for(std::uint8_t code) const {
  return std::find(requested_options.begin(), requested_options.end(), code) != requested_options.end();
}

std::variant<Query, QueryError> parse_query(const Message& m) {
  std::uint8_t type = m.message_type();
  if (type != kBulkLeasequery && type != kActiveLeasequery)
    return malformed(std::string("not a query: message type ") + std::to_string(type) + " (" + message_type_name(type) + ")");
  Query q;
  q.msg_type = type;
  q.xid = m.xid;
  if (!is_zero(m.ciaddr)) return malformed("ciaddr must be zero: there is no bulk or active query by IP address");
  for (auto read : {read_hardware_address, read_client_id, read_relay_keys, read_times})
    if (auto e = read(m, q)) return *e;
  if (auto e = settle_kind(q)) return *e;
  if (auto e = check_active(q)) return *e;
  if (const Option* prl = m.find(kOptParameterRequestList)) q.requested_options = prl->data;
  q.names_vpn = m.find(kOptVirtualSubnetSelection) != nullptr;
  return q;
}

Option status_option(std::uint8_t status, std::string_view text) {
  Option o{kOptStatusCode, {}};
  o.data.reserve(1 + text.size());  // also keeps GCC 12's -Warray-bounds false positive away
  o.data.push_back(status);
  o.data.insert(o.data.end(), text.begin(), text.end());
  return o;
}

Message lease_active(std::uint32_t xid, const Binding& b, std::uint32_t base_time) {
  Message m = reply_to(xid, kLeaseActive);
  add_binding_address(m, b);
  m.options.push_back(u32_option(kOptLeaseTime, b.lease_seconds_left));
  m.options.push_back(u32_option(kOptClientLastTransactionTime, b.seconds_since_transaction));
  add_state(m, kStateActive, b.seconds_in_state, base_time);
  return m;
}

Message lease_unassigned(std::uint32_t xid, const Binding& b, std::uint32_t base_time) {
  Message m = reply_to(xid, kLeaseUnassigned);
  add_binding_address(m, b);
  m.options.push_back(u32_option(kOptClientLastTransactionTime, b.seconds_since_transaction));
  add_state(m, b.state, b.seconds_in_state, base_time);
  return m;
}

Message status(std::uint32_t xid, std::uint8_t code, std::string_view text, std::optional<std::uint32_t> base_time) {
  Message m = reply_to(xid, kLeasequeryStatus);
  m.options.push_back(status_option(code, text));
  if (base_time) m.options.push_back(u32_option(kOptBaseTime, *base_time));
  return m;
}

Message done(std::uint32_t xid, const std::optional<StatusPair>& status, std::optional<std::uint32_t> base_time) {
  Message m = reply_to(xid, kLeasequeryDone);
  if (status) m.options.push_back(status_option(status->first, status->second));
  if (base_time) m.options.push_back(u32_option(kOptBaseTime, *base_time));
  return m;
}

Message data_missing(std::uint32_t xid, std::string_view text, std::uint32_t base_time) {
  return status(xid, kDataMissing, text, base_time);
}

Message catch_up_complete(std::uint32_t xid, std::uint32_t base_time) { return status(xid, kCatchUpComplete, "", base_time); }

Message keepalive(std::uint32_t xid, std::uint32_t base_time) {
  Message m = reply_to(xid, kLeasequeryStatus);
  m.options.push_back(u32_option(kOptBaseTime, base_time));
  return m;
}

Message final_status(std::uint8_t query_type, std::uint32_t xid, std::uint8_t code, std::string_view text,
                     std::optional<std::uint32_t> base_time) {
  if (query_type == kActiveLeasequery) return status(xid, code, text, base_time);
  return done(xid, StatusPair{code, std::string(text)}, base_time);
}

void add_server_identifier(Message& reply, const Address4& server) {
  auto after_type = std::find_if(reply.options.begin(), reply.options.end(), [](const Option& o) { return o.code == kOptMessageType; });
  if (after_type != reply.options.end()) ++after_type;
  reply.options.insert(after_type, Option{kOptServerIdentifier, Bytes(server.begin(), server.end())});
}

Message active_query(std::uint32_t xid, std::optional<std::uint32_t> start_time) {
  Message m = request_of(xid, kActiveLeasequery);
  m.options.push_back(parameter_request_list());
  if (start_time) m.options.push_back(u32_option(kOptQueryStartTime, *start_time));
  return m;
}

Message bulk_query(std::uint32_t xid, const BulkAsk& ask) {
  Message m = request_of(xid, kBulkLeasequery);
  put_query_key(m, ask);
  m.options.push_back(parameter_request_list());
  if (ask.start_time) m.options.push_back(u32_option(kOptQueryStartTime, *ask.start_time));
  if (ask.end_time) m.options.push_back(u32_option(kOptQueryEndTime, *ask.end_time));
  return m;
}

std::optional<StatusPair> find_status(const Message& m) {
  const Option* o = m.find(kOptStatusCode);
  if (!o || o->data.empty()) return std::nullopt;
  return StatusPair{o->data[0], std::string(o->data.begin() + 1, o->data.end())};
}

std::optional<std::uint32_t> find_base_time(const Message& m) { return u32_value(m.find(kOptBaseTime)); }

std::optional<Binding> parse_binding(const Message& m) {
  std::uint8_t type = m.message_type();
  if ((type != kLeaseActive && type != kLeaseUnassigned) || is_zero(m.ciaddr)) return std::nullopt;
  Binding b;
  b.address = m.ciaddr;
  if (const Option* id = m.find(kOptClientId)) b.client_id = id->data;
  b.lease_seconds_left = type == kLeaseActive ? u32_value(m.find(kOptLeaseTime)).value_or(0) : 0;
  b.seconds_since_transaction = u32_value(m.find(kOptClientLastTransactionTime)).value_or(0);
  b.seconds_in_state = u32_value(m.find(kOptStartTimeOfState)).value_or(0);
  const Option* state = m.find(kOptDhcpState);
  if (state && state->data.size() == 1) b.state = state->data[0];
  else b.state = type == kLeaseActive ? kStateActive : 0;
  return b;
}

std::string describe(const Message& m) {
  std::uint8_t type = m.message_type();
  std::string out = std::string(message_type_name(type)) + " xid=" + std::to_string(m.xid);
  if (auto s = find_status(m)) out += " status=" + std::string(status_name(s->first)) + (s->second.empty() ? "" : " \"" + s->second + "\"");
  if (auto t = find_base_time(m)) out += " base-time=" + std::to_string(*t);
  if (type == kBulkLeasequery || type == kActiveLeasequery) out += describe_query(m);
  if (auto b = parse_binding(m)) out += describe_binding(*b, type == kLeaseActive);
  return out;
}

}  // namespace leasehold::leasequery::dhcp4
