# loadlab_report_compare: `loadlab compare` logic (deltas, tolerances, verdict).
add_library(loadlab_report_compare compare.cpp)
target_include_directories(loadlab_report_compare PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(loadlab_report_compare PUBLIC loadlab_report_html PRIVATE loadlab_warnings)
