# Project-wide compile flags: warnings everywhere, -Werror in CI, sanitizers on request.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion
                    -Wno-sign-conversion -Wimplicit-fallthrough)
if(LEASEHOLD_WERROR)
  add_compile_options(-Werror)
  # GCC 12 at -O3 reports std::string concatenation inside libstdc++ as overlapping memcpy
  # (GCC bug 105651, fixed in 13): kept as a warning there, not an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    add_compile_options(-Wno-error=restrict)
  endif()
endif()
if(LEASEHOLD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(LEASEHOLD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
