lh_fuzz(config_fuzz ${CMAKE_CURRENT_LIST_DIR}/config_fuzz.cc lh_config)
