# rtnetlink replies (src/netif/rtnl_codec): datagrams of link, address and route messages.
lh_fuzz(netif_rtnl_fuzz ${CMAKE_CURRENT_LIST_DIR}/netif_rtnl_fuzz.cc lh_netif PkgConfig::MNL)
