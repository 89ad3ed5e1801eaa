# Install rules: headers, the library, an exported CMake package
# (tenancyConfig.cmake + version file, namespace tenancy::) and tenancy.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TENANCY_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tenancy")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/tenancy"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")

install(TARGETS tenancy
  EXPORT tenancyTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT tenancyTargets
  NAMESPACE tenancy::
  FILE tenancyTargets.cmake
  DESTINATION "${TENANCY_CMAKE_DIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/tenancyConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/tenancyConfig.cmake"
  INSTALL_DESTINATION "${TENANCY_CMAKE_DIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/tenancyConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/tenancyConfig.cmake"
  "${PROJECT_BINARY_DIR}/tenancyConfigVersion.cmake"
  DESTINATION "${TENANCY_CMAKE_DIR}")

# The .pc file locates its prefix relative to itself, so the package can be
# installed anywhere (cmake --install --prefix) and still be found.
file(RELATIVE_PATH TENANCY_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" TENANCY_PC_TO_PREFIX "${TENANCY_PC_TO_PREFIX}")
set(TENANCY_PC_LIBPQ "")
if(TENANCY_BUILD_POSTGRES)
  set(TENANCY_PC_LIBPQ " libpq")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/tenancy.pc.in" "${PROJECT_BINARY_DIR}/tenancy.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tenancy.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
