// AllowedIpsSync: makes the tunnel carry exactly the leased addresses. A granted or renewed
// lease puts its /32 or /128 into the holder's allowed-ips; a released, expired or removed
// one takes it out. Runs after the store commit (so the tunnel never carries a lease the
// store could lose) and before the answer (so a granted address already routes).
// Reconciling compares the device with the live leases: missing entries are added, /32 and
// /128 entries inside the lease space that no live lease explains are removed, and every
// other entry (link-locals, routes an admin gave a peer) is left alone.
// If the device cannot be updated the sync is marked dirty and reconciles at the next call.
// Not thread-safe: one thread at a time (the persister's store thread, or start-up).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "lease/lease.h"
#include "wireguard/device.h"

namespace leasehold::wireguard {

using LiveAddress = std::pair<lease::PublicKey, net::Address>;

// The allowed-ips updates that follow a run of lease changes, in order: the last change of
// each address wins. Grant and renew add; release, expire and remove take away.
std::vector<AllowedIpsUpdate> updates_for(std::span<const lease::LeaseChange> changes);

// The updates that make `device` carry exactly `live` within `lease_space`.
std::vector<AllowedIpsUpdate> reconcile_plan(const DeviceInfo& device, std::span<const LiveAddress> live,
                                             std::span<const net::Prefix> lease_space);

struct SyncStats {
  std::uint64_t updates = 0;     // update calls that succeeded
  std::uint64_t failures = 0;    // update or reconcile calls that failed
  std::uint64_t reconciles = 0;  // full reconciles that succeeded
  std::uint64_t added = 0;       // entries added by reconciles
  std::uint64_t removed = 0;     // entries removed by reconciles
};

class AllowedIpsSync {
 public:
  // `live` returns every address held now (taken under the engine's lock by the caller).
  using LiveSnapshot = std::function<std::vector<LiveAddress>()>;
  AllowedIpsSync(std::unique_ptr<Device> device, std::vector<net::Prefix> lease_space, LiveSnapshot live);

  // Full comparison of the device with the live leases.
  Status reconcile();
  // Incremental: the changes of one committed batch (or a reconcile if dirty).
  Status apply(std::span<const lease::LeaseChange> changes);
  // Reconciles if the last attempt failed (call when idle).
  void retry_if_dirty();
  // The subnets leases come from (after a reload). Thread-safe.
  void set_lease_space(std::vector<net::Prefix> lease_space);

  bool dirty() const { return dirty_; }
  const SyncStats& stats() const { return stats_; }
  const Device& device() const { return *device_; }

 private:
  std::unique_ptr<Device> device_;
  std::mutex space_mutex_;
  std::vector<net::Prefix> lease_space_;  // GUARDED_BY(space_mutex_)
  LiveSnapshot live_;
  bool dirty_ = true;  // nothing reconciled yet
  SyncStats stats_;
};

}  // namespace leasehold::wireguard
