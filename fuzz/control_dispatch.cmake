# The real command sets (lease, subnet, reservation, statistic) on a small engine.
lh_fuzz(control_dispatch_fuzz ${CMAKE_CURRENT_LIST_DIR}/control_dispatch_fuzz.cc lh_control lh_config)
