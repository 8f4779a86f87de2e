# Control API command core: framing, envelope parsing, dispatch and the Kea-style writer.
lh_fuzz(control_command_fuzz ${CMAKE_CURRENT_LIST_DIR}/control_command_fuzz.cc lh_control)
