# Subcommand libraries linked into the loadlab executable (one line per library).
target_sources(loadlab PRIVATE ${CMAKE_CURRENT_LIST_DIR}/serve_config.cpp)
target_link_libraries(loadlab PRIVATE loadlab_http loadlab_target yaml-cpp fmt::fmt)
target_link_libraries(loadlab PRIVATE loadlab_load)
target_link_libraries(loadlab PRIVATE loadlab_lab loadlab_report_html loadlab_report_compare)
target_link_libraries(loadlab PRIVATE loadlab_load_model)
