// Test support for the wireguard module. FakeDevice: an in-memory WireGuard device with the semantics the real ones share:
// update-only (unknown peers are skipped), removals before additions, and an address
// moves to the last peer given it (allowed-ips are unique across peers).
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "wireguard/device.h"

namespace leasehold::wireguard::testing {

// A key whose 32 bytes are all n, and parsing shorthands for tests.
inline lease::PublicKey key(std::uint8_t n) {
  std::array<std::uint8_t, 32> b{};
  b.fill(n);
  return lease::PublicKey(b);
}
inline net::Address addr(const char* t) { return *net::Address::parse(t); }
inline net::Prefix pfx(const char* t) { return *net::Prefix::parse(t); }

class FakeDevice final : public Device {
 public:
  struct State {
    DeviceInfo info;
    std::vector<std::vector<AllowedIpsUpdate>> calls;
    int gets = 0;
    bool fail = false;
  };
  explicit FakeDevice(std::shared_ptr<State> state) : state_(std::move(state)) {}

  const std::string& name() const override { return name_; }
  std::string_view backend() const override { return "fake"; }
  Result<DeviceInfo> get() override {
    state_->gets++;
    if (state_->fail) return make_error(Errc::unavailable, "fake device down");
    return state_->info;
  }
  Status update(std::span<const AllowedIpsUpdate> updates) override {
    if (state_->fail) return make_error(Errc::unavailable, "fake device down");
    state_->calls.emplace_back(updates.begin(), updates.end());
    for (const auto& u : updates)
      if (PeerInfo* p = peer(u.key))
        for (const auto& ip : u.remove) std::erase(p->allowed_ips, ip);
    for (const auto& u : updates) {
      PeerInfo* p = peer(u.key);
      if (!p) continue;
      for (const auto& ip : u.add) {
        for (auto& other : state_->info.peers) std::erase(other.allowed_ips, ip);
        p->allowed_ips.push_back(ip);
      }
    }
    return {};
  }

 private:
  PeerInfo* peer(const lease::PublicKey& key) {
    for (auto& p : state_->info.peers)
      if (p.key == key) return &p;
    return nullptr;
  }
  std::shared_ptr<State> state_;
  std::string name_ = "wgfake0";
};

}  // namespace leasehold::wireguard::testing
