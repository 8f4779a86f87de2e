#include "leasequery/dhcp6_wire.h"

#include <algorithm>
#include <cstdio>

namespace leasehold::leasequery::dhcp6 {
namespace {

void put16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xffff);
}
std::uint32_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} << 8 | b[at + 1];
}
std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) { return get16(b, at) << 16 | get16(b, at + 2); }

void put_option(Bytes& out, const Option& o) {
  put16(out, o.code);
  put16(out, static_cast<std::uint32_t>(o.data.size()));
  out.insert(out.end(), o.data.begin(), o.data.end());
}

Option u32_option(std::uint16_t code, std::uint32_t v) {
  Option o{code, {}};
  put32(o.data, v);
  return o;
}

Bytes pack(const std::vector<Option>& options) {
  Bytes out;
  for (const auto& o : options) put_option(out, o);
  return out;
}

const Option* find_in(const std::vector<Option>& options, std::uint16_t code) {
  for (const auto& o : options)
    if (o.code == code) return &o;
  return nullptr;
}

std::size_t count_in(const std::vector<Option>& options, std::uint16_t code) {
  return static_cast<std::size_t>(std::count_if(options.begin(), options.end(), [code](const Option& o) { return o.code == code; }));
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

std::string address_text(const Address6& a) {
  // Plain hex groups; the CLI is not the place for RFC 5952 compression rules.
  std::string out;
  char buf[6];
  for (std::size_t i = 0; i < 16; i += 2) {
    std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(a[i] << 8 | a[i + 1]));
    if (i) out += ':';
    out += buf;
  }
  return out;
}

// A time option must hold exactly four octets.
std::optional<QueryError> read_time(const std::vector<Option>& options, std::uint16_t code, const char* name,
                                    std::optional<std::uint32_t>& out) {
  const Option* o = find_in(options, code);
  if (!o) return std::nullopt;
  if (o->data.size() != 4) return QueryError{kMalformedQuery, std::string(name) + " must be 4 octets"};
  out = get32(o->data, 0);
  return std::nullopt;
}

bool oro_asks_base_time(const std::vector<Option>& options) {
  for (const auto& o : options) {
    if (o.code != kOptOro || o.data.size() % 2 != 0) continue;
    for (std::size_t i = 0; i + 1 < o.data.size(); i += 2)
      if (get16(o.data, i) == kOptLqBaseTime) return true;
  }
  return false;
}

}  // namespace

const char* message_type_name(std::uint8_t type) {
  switch (type) {
    case kLeasequery: return "LEASEQUERY";
    case kLeasequeryReply: return "LEASEQUERY-REPLY";
    case kLeasequeryDone: return "LEASEQUERY-DONE";
    case kLeasequeryData: return "LEASEQUERY-DATA";
    case kActiveLeasequery: return "ACTIVELEASEQUERY";
    case kStartTls: return "STARTTLS";
  }
  return "unknown";
}

const char* status_name(std::uint16_t status) {
  switch (status) {
    case kSuccess: return "Success";
    case kUnspecFail: return "UnspecFail";
    case kUnknownQueryType: return "UnknownQueryType";
    case kMalformedQuery: return "MalformedQuery";
    case kNotConfigured: return "NotConfigured";
    case kNotAllowed: return "NotAllowed";
    case kQueryTerminated: return "QueryTerminated";
    case kDataMissing: return "DataMissing";
    case kCatchUpComplete: return "CatchUpComplete";
    case kNotSupported: return "NotSupported";
    case kTlsConnectionRefused: return "TLSConnectionRefused";
  }
  return "unknown";
}

std::uint32_t absolute_time(std::int64_t unix_seconds) {
  std::int64_t t = unix_seconds - kEpoch2000;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(t, 0, 0xffffffffLL));
}

const Option* Message::find(std::uint16_t code) const { return find_in(options, code); }

Bytes encode(const Message& m) {
  Bytes body;
  body.push_back(m.type);
  body.push_back(static_cast<std::uint8_t>(m.xid >> 16));
  put16(body, m.xid & 0xffff);
  for (const auto& o : m.options) put_option(body, o);
  return frame(body);
}

Result<std::vector<Option>> decode_options(std::span<const std::uint8_t> data) {
  std::vector<Option> out;
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 4) return make_error(Errc::invalid_argument, "truncated option header at octet " + std::to_string(at));
    std::uint32_t code = get16(data, at), length = get16(data, at + 2);
    at += 4;
    if (data.size() - at < length)
      return make_error(Errc::invalid_argument, "option " + std::to_string(code) + " claims " + std::to_string(length) +
                                                    " octets, " + std::to_string(data.size() - at) + " left");
    out.push_back(Option{static_cast<std::uint16_t>(code), Bytes(data.begin() + static_cast<std::ptrdiff_t>(at),
                                                                 data.begin() + static_cast<std::ptrdiff_t>(at + length))});
    at += length;
  }
  return out;
}

Result<Message> decode(std::span<const std::uint8_t> body) {
  if (body.size() < 4) return make_error(Errc::invalid_argument, "message shorter than its 4-octet header");
  Message m;
  m.type = body[0];
  m.xid = std::uint32_t{body[1]} << 16 | get16(body, 2);
  auto options = decode_options(body.subspan(4));
  if (!options) return options.error();
  m.options = std::move(*options);
  return m;
}

std::variant<Query, QueryError> parse_query(const Message& m) {
  if (m.type != kLeasequery && m.type != kActiveLeasequery)
    return QueryError{kMalformedQuery, std::string("not a query: message type ") + std::to_string(m.type)};
  Query q;
  q.msg_type = m.type;
  q.xid = m.xid;
  std::size_t queries = count_in(m.options, kOptLqQuery);
  if (queries == 0) return QueryError{kMalformedQuery, "missing OPTION_LQ_QUERY"};
  if (queries > 1) return QueryError{kMalformedQuery, "more than one OPTION_LQ_QUERY"};
  const Option& lq = *m.find(kOptLqQuery);
  if (lq.data.size() < 17) return QueryError{kMalformedQuery, "OPTION_LQ_QUERY shorter than 17 octets"};
  q.query_type = lq.data[0];
  std::copy(lq.data.begin() + 1, lq.data.begin() + 17, q.link_address.begin());
  auto inner = decode_options(std::span<const std::uint8_t>(lq.data).subspan(17));
  if (!inner) return QueryError{kMalformedQuery, "OPTION_LQ_QUERY: " + inner.error().message};
  if (q.query_type < kByAddress || q.query_type > kByRemoteId)
    return QueryError{kUnknownQueryType, "unknown query type " + std::to_string(q.query_type)};
  if (const Option* a = find_in(*inner, kOptIaAddr)) {
    if (a->data.size() < 24) return QueryError{kMalformedQuery, "OPTION_IAADDR shorter than 24 octets"};
    Address6 addr;
    std::copy(a->data.begin(), a->data.begin() + 16, addr.begin());
    q.address = addr;
  }
  if (const Option* c = find_in(*inner, kOptClientId)) q.client_duid = c->data;
  if (const Option* r = find_in(*inner, kOptRelayId)) q.relay_id = r->data;
  if (const Option* r = find_in(*inner, kOptRemoteId)) q.remote_id = r->data;
  q.wants_base_time = oro_asks_base_time(*inner) || oro_asks_base_time(m.options);
  if (const Option* c = m.find(kOptClientId)) q.requestor_client_id = c->data;
  if (auto e = read_time(m.options, kOptLqStartTime, "OPTION_LQ_START_TIME", q.start_time)) return *e;
  if (auto e = read_time(m.options, kOptLqEndTime, "OPTION_LQ_END_TIME", q.end_time)) return *e;
  if (q.active() && q.end_time) return QueryError{kMalformedQuery, "OPTION_LQ_END_TIME is not allowed in an active query"};
  switch (q.query_type) {
    case kByAddress:
      if (!q.address) return QueryError{kMalformedQuery, "a query by address needs an OPTION_IAADDR"};
      break;
    case kByClientId:
      if (!q.client_duid) return QueryError{kMalformedQuery, "a query by client id needs an OPTION_CLIENTID"};
      break;
    case kByRelayId:
      if (!q.relay_id) return QueryError{kMalformedQuery, "a query by relay id needs an OPTION_RELAY_ID"};
      break;
    case kByRemoteId:
      if (!q.remote_id) return QueryError{kMalformedQuery, "a query by remote id needs an OPTION_REMOTE_ID"};
      break;
    default:
      break;
  }
  return q;
}

Option status_option(std::uint16_t status, std::string_view text) {
  Option o{kOptStatusCode, {}};
  put16(o.data, status);
  o.data.insert(o.data.end(), text.begin(), text.end());
  return o;
}

Option client_data(const Binding& b) {
  Bytes iaaddr(b.address.begin(), b.address.end());
  put32(iaaddr, b.preferred_lifetime);
  put32(iaaddr, b.valid_lifetime);
  return Option{kOptClientData, pack({Option{kOptClientId, b.duid}, Option{kOptIaAddr, std::move(iaaddr)},
                                      u32_option(kOptCltTime, b.clt_time)})};
}

Message reply(std::uint32_t xid, const std::optional<StatusPair>& status, const Bytes& server_duid,
              const std::optional<Bytes>& requestor_client_id, std::optional<std::uint32_t> base_time,
              const Binding* first) {
  Message m{kLeasequeryReply, xid, {}};
  if (status) m.options.push_back(status_option(status->first, status->second));
  if (requestor_client_id) m.options.push_back(Option{kOptClientId, *requestor_client_id});
  m.options.push_back(Option{kOptServerId, server_duid});
  if (base_time) m.options.push_back(u32_option(kOptLqBaseTime, *base_time));
  if (first) m.options.push_back(client_data(*first));
  return m;
}

Message data(std::uint32_t xid, const Binding* binding, std::optional<std::uint32_t> base_time,
             const std::optional<StatusPair>& status) {
  Message m{kLeasequeryData, xid, {}};
  if (status) m.options.push_back(status_option(status->first, status->second));
  if (base_time) m.options.push_back(u32_option(kOptLqBaseTime, *base_time));
  if (binding) m.options.push_back(client_data(*binding));
  return m;
}

Message done(std::uint32_t xid, const std::optional<StatusPair>& status, std::optional<std::uint32_t> base_time) {
  Message m{kLeasequeryDone, xid, {}};
  if (status) m.options.push_back(status_option(status->first, status->second));
  if (base_time) m.options.push_back(u32_option(kOptLqBaseTime, *base_time));
  return m;
}

std::optional<StatusPair> find_status(const Message& m) {
  const Option* o = m.find(kOptStatusCode);
  if (!o || o->data.size() < 2) return std::nullopt;
  return StatusPair{static_cast<std::uint16_t>(get16(o->data, 0)), std::string(o->data.begin() + 2, o->data.end())};
}

std::optional<std::uint32_t> find_base_time(const Message& m) {
  const Option* o = m.find(kOptLqBaseTime);
  if (!o || o->data.size() != 4) return std::nullopt;
  return get32(o->data, 0);
}

std::optional<Binding> parse_client_data(const Option& cd) {
  if (cd.code != kOptClientData) return std::nullopt;
  auto inner = decode_options(cd.data);
  if (!inner) return std::nullopt;
  const Option* id = find_in(*inner, kOptClientId);
  const Option* ia = find_in(*inner, kOptIaAddr);
  const Option* clt = find_in(*inner, kOptCltTime);
  if (!id || !ia || ia->data.size() < 24) return std::nullopt;
  Binding b;
  b.duid = id->data;
  std::copy(ia->data.begin(), ia->data.begin() + 16, b.address.begin());
  b.preferred_lifetime = get32(ia->data, 16);
  b.valid_lifetime = get32(ia->data, 20);
  if (clt && clt->data.size() == 4) b.clt_time = get32(clt->data, 0);
  return b;
}

namespace {
Option lq_query(std::uint8_t type, const Address6& link, std::vector<Option> inner) {
  Bytes data{type};
  data.insert(data.end(), link.begin(), link.end());
  Bytes packed = pack(inner);
  data.insert(data.end(), packed.begin(), packed.end());
  return Option{kOptLqQuery, std::move(data)};
}
Option oro_base_time() {
  Option o{kOptOro, {}};
  put16(o.data, kOptLqBaseTime);
  return o;
}
}  // namespace

Message active_query(std::uint32_t xid, const Bytes& requestor_duid, std::optional<std::uint32_t> start_time) {
  Message m{kActiveLeasequery, xid, {}};
  m.options.push_back(Option{kOptClientId, requestor_duid});
  m.options.push_back(lq_query(kByLinkAddress, Address6{}, {oro_base_time()}));
  if (start_time) m.options.push_back(u32_option(kOptLqStartTime, *start_time));
  return m;
}

Message bulk_query(std::uint32_t xid, const Bytes& requestor_duid, const BulkAsk& ask) {
  Message m{kLeasequery, xid, {}};
  m.options.push_back(Option{kOptClientId, requestor_duid});
  std::vector<Option> inner{oro_base_time()};
  if (ask.address) {
    Bytes ia(ask.address->begin(), ask.address->end());
    ia.resize(24, 0);
    inner.push_back(Option{kOptIaAddr, std::move(ia)});
  }
  if (ask.client_duid) inner.push_back(Option{kOptClientId, *ask.client_duid});
  m.options.push_back(lq_query(ask.query_type, Address6{}, std::move(inner)));
  if (ask.start_time) m.options.push_back(u32_option(kOptLqStartTime, *ask.start_time));
  if (ask.end_time) m.options.push_back(u32_option(kOptLqEndTime, *ask.end_time));
  return m;
}

std::string describe(const Message& m) {
  std::string out = std::string(message_type_name(m.type)) + " xid=" + std::to_string(m.xid);
  if (auto s = find_status(m)) out += " status=" + std::string(status_name(s->first)) + (s->second.empty() ? "" : " \"" + s->second + "\"");
  if (auto t = find_base_time(m)) out += " base-time=" + std::to_string(*t);
  for (const auto& o : m.options) {
    if (o.code != kOptClientData) continue;
    if (auto b = parse_client_data(o))
      out += " binding=" + address_text(b->address) + " preferred=" + std::to_string(b->preferred_lifetime) +
             " valid=" + std::to_string(b->valid_lifetime) + " clt-time=" + std::to_string(b->clt_time) + " duid=" + hex(b->duid);
    else
      out += " binding=(malformed)";
  }
  return out;
}

}  // namespace leasehold::leasequery::dhcp6
