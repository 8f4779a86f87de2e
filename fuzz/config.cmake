# Configuration parser: the JSON config file (with //, /* */ and # comments) into ServerConfig.
# config.cc is compiled in directly instead of linking lh_server: the parser needs neither Asio
# nor spdlog, and Boost 1.74's Asio does not enable co_await under clang, so lh_server does
# not build with the compiler libFuzzer needs.
lh_fuzz(config_fuzz ${CMAKE_CURRENT_LIST_DIR}/config_fuzz.cc lh_lease nlohmann_json::nlohmann_json)
target_sources(config_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src/server/config.cc)
