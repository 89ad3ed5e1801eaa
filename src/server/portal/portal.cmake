# The admin portal (included from src/server/CMakeLists.txt): the handler,
# and the files under web/ embedded into tenancyd_core at build time.
file(GLOB_RECURSE portal_web_files CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/web/*")
set(portal_generated "${CMAKE_CURRENT_BINARY_DIR}/portal_assets.cpp")
add_custom_command(
  OUTPUT "${portal_generated}"
  COMMAND "${CMAKE_COMMAND}" "-DWEB_DIR=${CMAKE_CURRENT_LIST_DIR}/web" "-DOUTPUT=${portal_generated}"
          -P "${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake"
  DEPENDS ${portal_web_files} "${CMAKE_CURRENT_LIST_DIR}/embed_assets.cmake"
  COMMENT "Embedding the admin portal"
  VERBATIM)
target_sources(tenancyd_core PRIVATE
  "${CMAKE_CURRENT_LIST_DIR}/portal_files.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/portal_routes.cpp"
  "${portal_generated}")
