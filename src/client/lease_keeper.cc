#include "client/lease_keeper.h"

#include <algorithm>
#include <limits>

namespace leasehold::client {
namespace {

// Stored lease starts beyond this are nonsense (year 2^37); refusing them keeps the
// millisecond arithmetic far from overflow.
constexpr std::int64_t kMaxStoredStart = std::int64_t{1} << 40;

std::optional<std::string> check_length(const std::optional<net::Prefix>& granted) {
  if (!granted) return std::nullopt;
  const int bits = net::family_bits(granted->family());
  if (granted->length() == bits) return std::nullopt;
  // Anything wider than a host would be routing information, which a client must not take.
  return "refused lease: " + granted->to_string() + " is not a /" + std::to_string(bits);
}

}  // namespace

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::bound: return "bound";
    case Reason::renewed: return "renewed";
    case Reason::changed: return "changed";
    case Reason::expired: return "expired";
    case Reason::released: return "released";
    case Reason::stopped: return "stopped";
  }
  return "unknown";
}

LeaseKeeper::LeaseKeeper(KeeperConfig config, const Clock& clock, lease::RandomSource& random)
    : config_(config), clock_(clock), random_(random) {
  // "leasetime=0" without hints is the release request: never send it as a hint.
  if (config_.leasetime_hint == 0u) config_.leasetime_hint.reset();
}

Actions LeaseKeeper::start(const std::optional<StoredLease>& stored, const std::vector<net::Prefix>& interface_globals) {
  Actions actions;
  const std::int64_t now = clock_.mono_ms();
  next_request_ms_ = now;
  if (stored && stored->leasetime_seconds > 0 && stored->leasestart >= 0 && stored->leasestart < kMaxStoredStart) {
    LeaseAddresses kept;
    if (config_.want_ipv4) kept.ipv4 = stored->addresses.ipv4;
    if (config_.want_ipv6) kept.ipv6 = stored->addresses.ipv6;
    const std::int64_t lease_ms = std::int64_t{stored->leasetime_seconds} * 1000;
    // A wall clock set back since would stretch the lease: it never outlasts its lease time.
    const std::int64_t remaining =
        std::min((stored->leasestart * 1000 + lease_ms) - clock_.wall_ms(), lease_ms);
    if (!kept.empty() && remaining > 0) {
      lease_ = Lease{kept, stored->leasestart, stored->leasetime_seconds, now + remaining, true};
      last_addresses_ = kept;
      actions.add = kept.list();  // a live lease: make sure the interface has it (after a reboot)
      return actions;
    }
  }
  LeaseAddresses assumed;
  for (const net::Prefix& p : interface_globals) {
    if (p.length() != net::family_bits(p.family())) continue;
    auto& slot = p.family() == net::Family::v4 ? assumed.ipv4 : assumed.ipv6;
    const bool wanted = p.family() == net::Family::v4 ? config_.want_ipv4 : config_.want_ipv6;
    if (wanted && !slot) slot = p.address();
  }
  if (!assumed.empty()) {
    lease_ = Lease{assumed, clock_.wall_ms() / 1000, static_cast<std::uint32_t>(kAssumedLeaseMs / 1000),
                   now + kAssumedLeaseMs, false};
    last_addresses_ = assumed;
  }
  return actions;
}

wgdyn::ClientRequest LeaseKeeper::request() const {
  wgdyn::ClientRequest request;
  request.leasetime_seconds = config_.leasetime_hint;
  const LeaseAddresses& hints = lease_ ? lease_->addresses : last_addresses_;
  if (config_.want_ipv4 && config_.want_ipv6) {
    request.format = wgdyn::Format::v1;
    request.v4.hint = hints.ipv4;
    request.v6.hint = hints.ipv6;
  } else {
    // Only the upstream format can leave a family out. Its specific addresses fail the whole
    // request when not held, so it asks for "any": the server keeps the address held anyway.
    request.format = wgdyn::Format::upstream;
    request.v4.wanted = config_.want_ipv4;
    request.v6.wanted = config_.want_ipv6;
  }
  return request;
}

std::int64_t LeaseKeeper::next_deadline_mono_ms() const {
  return lease_ ? std::min(next_request_ms_, lease_->expires_mono_ms) : next_request_ms_;
}

std::optional<std::string> LeaseKeeper::check_response(const wgdyn::ClientResponse& response) const {
  if (response.error_number != 0)
    return "server answered errno " + std::to_string(response.error_number) +
           (response.errmsg.empty() ? "" : ": " + response.errmsg);
  if (auto problem = check_length(response.ipv4)) return problem;
  if (auto problem = check_length(response.ipv6)) return problem;
  const bool any = (config_.want_ipv4 && response.ipv4) || (config_.want_ipv6 && response.ipv6);
  if (!any) return std::string("server granted no address of a wanted family");
  if (!response.leasetime_seconds || *response.leasetime_seconds == 0) return std::string("server granted lease time 0");
  return std::nullopt;
}

std::int64_t LeaseKeeper::expiry_from(std::optional<std::uint64_t> leasestart, std::uint32_t leasetime_s,
                                      std::int64_t& start_wall_s) const {
  const std::int64_t now_wall = clock_.wall_ms();
  const std::int64_t now_s = now_wall / 1000;
  std::int64_t start_ms = now_wall;
  // Spec: a leasestart more than 15 s off the local clock is replaced by the local time. One
  // ahead of the local clock is not taken either: the lease would outlive the server's.
  if (leasestart && now_s >= 0 && *leasestart + kMaxClockSkewSeconds >= static_cast<std::uint64_t>(now_s) &&
      *leasestart <= static_cast<std::uint64_t>(now_s + kMaxClockSkewSeconds))
    start_ms = std::min(static_cast<std::int64_t>(*leasestart) * 1000, now_wall);
  start_wall_s = start_ms / 1000;
  return clock_.mono_ms() + (start_ms - now_wall) + std::int64_t{leasetime_s} * 1000;
}

std::int64_t LeaseKeeper::renewal_time(const Lease& lease) const {
  const std::int64_t lease_ms = std::int64_t{lease.leasetime_seconds} * 1000;
  const std::int64_t after_start = std::max(lease_ms / 2, lease_ms - kRenewBeforeEndMs);
  const std::int64_t jitter_max = std::min(kMaxRenewJitterMs, lease_ms / 10);
  const auto jitter = static_cast<std::int64_t>(random_.below(static_cast<net::uint128>(jitter_max) + 1));
  const std::int64_t start = lease.expires_mono_ms - lease_ms;
  const std::int64_t at = std::max(start + after_start - jitter, clock_.mono_ms() + kMinRenewDelayMs);
  return std::min(at, lease.expires_mono_ms);
}

Actions LeaseKeeper::on_response(const wgdyn::ClientResponse& response) {
  if (auto problem = check_response(response)) return on_failure(*problem);
  Lease next;
  if (config_.want_ipv4 && response.ipv4) next.addresses.ipv4 = response.ipv4->address();
  if (config_.want_ipv6 && response.ipv6) next.addresses.ipv6 = response.ipv6->address();
  next.leasetime_seconds = *response.leasetime_seconds;
  next.expires_mono_ms = expiry_from(response.leasestart, next.leasetime_seconds, next.start_wall_s);
  next.granted = true;

  Actions actions;
  actions.add = next.addresses.list();
  Event event;
  event.addresses = next.addresses;
  event.leasetime_seconds = next.leasetime_seconds;
  event.reason = Reason::bound;
  if (lease_) {
    for (const net::Address& old : lease_->addresses.list())
      if (!next.addresses.contains(old)) actions.remove.push_back(old);
    event.old_addresses = lease_->addresses;
    if (bound_this_run_ && lease_->granted)
      event.reason = lease_->addresses == next.addresses ? Reason::renewed : Reason::changed;
  }
  bound_this_run_ = true;
  failures_ = 0;
  lease_ = next;
  last_addresses_ = next.addresses;
  next_request_ms_ = renewal_time(next);
  actions.event = event;
  actions.save = true;
  return actions;
}

Actions LeaseKeeper::on_failure(std::string why) {
  ++failures_;
  const std::int64_t now = clock_.mono_ms();
  const std::int64_t delay = std::min(kMaxRetryMs, kFirstRetryMs << std::min(failures_ - 1, 6));
  next_request_ms_ = now + delay;
  if (lease_ && lease_->expires_mono_ms > now) next_request_ms_ = std::min(next_request_ms_, lease_->expires_mono_ms);
  Actions actions;
  actions.problem = std::move(why);
  return actions;
}

Actions LeaseKeeper::on_timer() {
  Actions actions;
  if (!lease_ || clock_.mono_ms() < lease_->expires_mono_ms) return actions;
  Event event;
  event.reason = Reason::expired;
  event.old_addresses = lease_->addresses;
  actions.remove = lease_->addresses.list();
  actions.event = event;
  actions.save = true;
  last_addresses_ = lease_->addresses;
  lease_.reset();
  return actions;
}

Actions LeaseKeeper::stop(StopMode mode) {
  Actions actions;
  Event event;
  if (mode == StopMode::release && lease_) {
    event.reason = Reason::released;
    event.old_addresses = lease_->addresses;
    actions.remove = lease_->addresses.list();
    lease_.reset();
    actions.save = true;
  } else {
    event.reason = Reason::stopped;
    if (lease_) {
      event.addresses = lease_->addresses;
      event.leasetime_seconds = lease_->leasetime_seconds;
    }
  }
  actions.event = event;
  return actions;
}

std::optional<StoredLease> LeaseKeeper::stored() const {
  if (!lease_ || !lease_->granted) return std::nullopt;
  return StoredLease{lease_->addresses, lease_->start_wall_s, lease_->leasetime_seconds};
}

}  // namespace leasehold::client
