// UapiDevice: a WireGuard device driven through its UAPI socket (<dir>/<ifname>.sock), as
// wireguard-go and boringtun provide. One connection per call, blocking with a timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "wireguard/device.h"

namespace leasehold::wireguard {

// Does not connect yet: the first call does, so a device that starts later still works.
std::unique_ptr<Device> make_uapi_device(const std::string& ifname, const std::string& socket_path,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace leasehold::wireguard
