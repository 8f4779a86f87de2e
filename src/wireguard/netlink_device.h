// NetlinkDevice: a WireGuard interface of the Linux kernel module, driven over generic
// netlink (family "wireguard") through one libmnl NETLINK_GENERIC socket. Owns the socket,
// request numbering and the choice of removal method; the wire format is netlink_codec's.
// Calls block, each read bounded by `timeout`; a device is used from one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "wireguard/device.h"

namespace leasehold::wireguard {

// Opens the socket and resolves the "wireguard" family. Errors: invalid_argument for a bad
// interface name; not_found "no kernel WireGuard (generic netlink family 'wireguard' not
// found)" without the kernel module; io when the socket fails. Does not check that `ifname`
// exists: get() reports that ("No such device").
// Removals use WGALLOWEDIP_F_REMOVE_ME on Linux >= 6.16 (uname), else get() and
// WGPEER_F_REPLACE_ALLOWEDIPS for the peers that lose entries.
Result<std::unique_ptr<Device>> make_netlink_device(const std::string& ifname,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace leasehold::wireguard
