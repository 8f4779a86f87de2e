// LeaseKeeper: the lease-keeping logic of leasehold-client as a pure state machine. It decides
// what to hint, when to renew or retry, and which addresses to add to or remove from the
// interface; it does no I/O: the caller performs the returned Actions, sends the requests,
// and feeds back responses and failures. Time and randomness are injected. Single-threaded.
//
// Rules (spec "Single lease" and "leasestart", docs/client.md):
// - At most one lease. At start a stored lease not yet expired is the lease; else the
//   interface's global /32 and /128 addresses form a lease assumed valid for 15 s.
// - Granted addresses must be /32 or /128; a response with any other is refused whole.
// - Expiry is reckoned from the client's own receipt time: leasestart is used only when it
//   is within 15 s of the local clock (else local time is), and never if it lies ahead.
// - Renewal: at the later of half the lease and 300 s before its end, minus a random
//   0..min(30 s, lease/10); never sooner than 1 s after the grant.
// - Failures retry after 1 s, doubling to 60 s, never sleeping past the lease's end. At the
//   end the addresses are removed and the client goes on asking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/clock.h"
#include "client/lease.h"
#include "lease/random_source.h"
#include "net/address.h"
#include "wgdyn/client_codec.h"

namespace leasehold::client {

inline constexpr std::int64_t kAssumedLeaseMs = 15'000;      // spec: inception lease
inline constexpr std::int64_t kMaxClockSkewSeconds = 15;     // spec: leasestart vs local clock
inline constexpr std::int64_t kRenewBeforeEndMs = 300'000;   // renew 300 s before the end...
inline constexpr std::int64_t kMaxRenewJitterMs = 30'000;    // ...minus up to 30 s
inline constexpr std::int64_t kMinRenewDelayMs = 1'000;      // a tiny lease cannot make a busy loop
inline constexpr std::int64_t kFirstRetryMs = 1'000;
inline constexpr std::int64_t kMaxRetryMs = 60'000;

struct KeeperConfig {
  bool want_ipv4 = true;
  bool want_ipv6 = true;
  std::optional<std::uint32_t> leasetime_hint;  // 0 is taken as none
};

// The lease the client holds now.
struct Lease {
  LeaseAddresses addresses;
  std::int64_t start_wall_s = 0;  // the lease's start as the client reckons it
  std::uint32_t leasetime_seconds = 0;
  std::int64_t expires_mono_ms = 0;
  bool granted = false;  // false: the inception lease assumed from the interface's addresses
};

enum class Reason : std::uint8_t { bound, renewed, changed, expired, released, stopped };
const char* reason_name(Reason reason);

// A change worth telling the log and the hook about.
struct Event {
  Reason reason = Reason::bound;
  LeaseAddresses addresses;      // the lease now (empty once it ended or was released)
  LeaseAddresses old_addresses;  // the lease before
  std::optional<std::uint32_t> leasetime_seconds;  // of the lease now
};

// What the caller must do. Addresses are hosts: /32 or /128.
struct Actions {
  std::vector<net::Address> add;     // ensure present (again: refreshes their lifetime)
  std::vector<net::Address> remove;  // ensure absent
  std::optional<Event> event;
  bool save = false;    // the lease changed: write the state file (stored())
  std::string problem;  // why a response was not taken or an attempt failed; empty if none
};

enum class StopMode : std::uint8_t { release, keep };

class LeaseKeeper {
 public:
  LeaseKeeper(KeeperConfig config, const Clock& clock, lease::RandomSource& random);

  // `interface_globals`: the global-scope addresses on the interface with their prefix lengths.
  Actions start(const std::optional<StoredLease>& stored, const std::vector<net::Prefix>& interface_globals);

  wgdyn::ClientRequest request() const;
  std::int64_t next_request_mono_ms() const { return next_request_ms_; }
  // The earliest time on_timer() has something to do, or a request is due.
  std::int64_t next_deadline_mono_ms() const;

  Actions on_response(const wgdyn::ClientResponse& response);
  Actions on_failure(std::string why);
  // Ends the lease if it ran out. Harmless to call at any time.
  Actions on_timer();
  // release: remove the addresses and forget the lease (the caller sends the release request
  // first). keep: leave addresses and stored lease for the next run. Without a lease both
  // are "stopped".
  Actions stop(StopMode mode);

  const std::optional<Lease>& lease() const { return lease_; }
  // The lease to write to the state file: granted leases only.
  std::optional<StoredLease> stored() const;
  int consecutive_failures() const { return failures_; }

 private:
  Actions refuse(std::string why);
  std::optional<std::string> check_response(const wgdyn::ClientResponse& response) const;
  std::int64_t expiry_from(std::optional<std::uint64_t> leasestart, std::uint32_t leasetime_s,
                           std::int64_t& start_wall_s) const;
  std::int64_t renewal_time(const Lease& lease) const;

  KeeperConfig config_;
  const Clock& clock_;
  lease::RandomSource& random_;
  std::optional<Lease> lease_;
  LeaseAddresses last_addresses_;  // hints after a lease ended
  std::int64_t next_request_ms_ = 0;
  int failures_ = 0;
  bool bound_this_run_ = false;  // the first grant of a run is "bound", whatever came before
};

}  // namespace leasehold::client
