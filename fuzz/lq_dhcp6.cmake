# DHCPv6 leasequery codec: framing, message and option decoding, query parsing of untrusted TCP bytes.
lh_fuzz(lq_dhcp6_fuzz ${CMAKE_CURRENT_LIST_DIR}/lq_dhcp6_fuzz.cc lh_lqwire)
