# Kernel WireGuard generic netlink codec: GET_DEVICE dumps, family replies and ACKs read from
# a NETLINK_GENERIC socket.
lh_fuzz(wireguard_netlink_fuzz ${CMAKE_CURRENT_LIST_DIR}/wireguard_netlink_fuzz.cc lh_wireguard PkgConfig::MNL)
