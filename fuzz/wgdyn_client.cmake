# request_ip client codec: framing and parsing of untrusted response bytes, request formatting.
lh_fuzz(wgdyn_client_fuzz ${CMAKE_CURRENT_LIST_DIR}/wgdyn_client_fuzz.cc lh_wgdyn)
