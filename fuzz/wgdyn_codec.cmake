# request_ip codec: framing, request parsing and response formatting of untrusted stream bytes.
lh_fuzz(wgdyn_codec_fuzz ${CMAKE_CURRENT_LIST_DIR}/wgdyn_codec_fuzz.cc lh_wgdyn)
