# Language level, warnings and sanitizers shared by every target.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

find_program(TENANCY_CCACHE ccache)
if(TENANCY_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER "${TENANCY_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${TENANCY_CCACHE}")
endif()

# tenancy_warnings: an interface target carrying the project's warning flags.
add_library(tenancy_warnings INTERFACE)
target_compile_options(tenancy_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  $<$<BOOL:${TENANCY_WARNINGS_AS_ERRORS}>:-Werror>)

set(TENANCY_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined or thread")
if(TENANCY_SANITIZE)
  add_compile_options(-fsanitize=${TENANCY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TENANCY_SANITIZE})
endif()

# Precompiled headers for the targets whose translation units mostly parse
# the same headers (tenancyd_core and the test suites: Boost.JSON, Beast
# messages, Catch2, the public headers). About 2.5x faster to compile there;
# off in the release preset, whose build then proves every source includes
# what it uses. With ccache, sloppiness pch_defines,time_macros applies
# (scripts/test.sh sets it).
option(TENANCY_PRECOMPILED_HEADERS "Precompile the headers shared by the server and test sources" ON)
function(tenancy_precompile target)
  if(TENANCY_PRECOMPILED_HEADERS)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()
