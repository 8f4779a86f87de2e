# Project-wide compile flags: warnings everywhere, -Werror in CI, sanitizers on request.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion
                    -Wno-sign-conversion -Wimplicit-fallthrough)
if(LEASEHOLD_WERROR)
  add_compile_options(-Werror)
endif()
if(LEASEHOLD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(LEASEHOLD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
