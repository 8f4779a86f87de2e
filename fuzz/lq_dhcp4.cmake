# DHCPv4 leasequery codec: framing, BOOTP message and option decoding, query parsing of untrusted TCP bytes.
lh_fuzz(lq_dhcp4_fuzz ${CMAKE_CURRENT_LIST_DIR}/lq_dhcp4_fuzz.cc lh_lqwire)
