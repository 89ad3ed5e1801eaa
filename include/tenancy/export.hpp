// tenancy/export.hpp — symbol visibility for the tenancy library.
//
// The library is compiled with hidden visibility; only declarations marked
// TENANCY_EXPORT form its binary interface (relevant when built shared).
#pragma once

#if defined(_WIN32)
#  if defined(TENANCY_BUILDING_SHARED)
#    define TENANCY_EXPORT __declspec(dllexport)
#  elif defined(TENANCY_SHARED)
#    define TENANCY_EXPORT __declspec(dllimport)
#  else
#    define TENANCY_EXPORT
#  endif
#else
#  define TENANCY_EXPORT __attribute__((visibility("default")))
#endif
