// Device: one WireGuard interface, whichever implementation drives it. Two backends: the
// userspace UAPI socket (/var/run/wireguard/<if>.sock: wireguard-go, boringtun) and the
// kernel's generic netlink family "wireguard". open_device() picks the one that answers.
// Calls block (local IPC, microseconds to milliseconds); a Device is used from one thread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lease/public_key.h"
#include "net/address.h"
#include "wireguard/types.h"

namespace leasehold::wireguard {

class Device {
 public:
  virtual ~Device() = default;
  virtual const std::string& name() const = 0;
  virtual std::string_view backend() const = 0;  // "uapi" or "netlink"
  // The device's peers and their allowed-ips (and its own public key where known).
  virtual Result<DeviceInfo> get() = 0;
  // Applies all updates (removals before additions). Peers that do not exist are skipped
  // silently, as WireGuard's update-only flag does.
  virtual Status update(std::span<const AllowedIpsUpdate> updates) = 0;
};

// Linux interface names: 1 to 15 bytes, no '/', ':' or whitespace.
bool valid_interface_name(std::string_view name);

// backend: "auto" (UAPI if the socket exists, else netlink), "uapi" or "netlink".
// uapi_dir is where UAPI sockets live (tests point it elsewhere).
Result<std::unique_ptr<Device>> open_device(const std::string& ifname, std::string_view backend = "auto",
                                            const std::string& uapi_dir = "/var/run/wireguard");

}  // namespace leasehold::wireguard
