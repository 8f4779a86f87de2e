# HTTP basic authentication header decoding (the control API's HTTP transport).
lh_fuzz(control_basic_auth_fuzz ${CMAKE_CURRENT_LIST_DIR}/control_basic_auth_fuzz.cc lh_control)
