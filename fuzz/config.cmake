# Configuration parser: the JSON config file (with //, /* */ and # comments) into ServerConfig.
lh_fuzz(config_fuzz ${CMAKE_CURRENT_LIST_DIR}/config_fuzz.cc lh_server)
