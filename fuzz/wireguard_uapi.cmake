# Userspace WireGuard UAPI codec: replies to get=1 and set=1 read from the control socket.
lh_fuzz(wireguard_uapi_fuzz ${CMAKE_CURRENT_LIST_DIR}/wireguard_uapi_fuzz.cc lh_wireguard)
