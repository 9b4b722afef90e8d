# Subcommand libraries linked into the loadlab executable (one line per library).
target_sources(loadlab PRIVATE ${CMAKE_CURRENT_LIST_DIR}/serve_config.cpp)
target_link_libraries(loadlab PRIVATE loadlab_http yaml-cpp)
if(TARGET loadlab_target)
  target_link_libraries(loadlab PRIVATE loadlab_target)
  target_compile_definitions(loadlab PRIVATE LOADLAB_HAS_TARGET_SERVICE=1)
endif()
target_link_libraries(loadlab PRIVATE loadlab_load)
target_link_libraries(loadlab PRIVATE loadlab_lab loadlab_report_html loadlab_report_compare)
