# loadlab_report_html: self-contained HTML reports with uPlot embedded at build time.
set(LOADLAB_UPLOT_DIR ${PROJECT_SOURCE_DIR}/node_modules/uplot/dist)
set(LOADLAB_UPLOT_JS ${LOADLAB_UPLOT_DIR}/uPlot.iife.min.js)
set(LOADLAB_UPLOT_CSS ${LOADLAB_UPLOT_DIR}/uPlot.min.css)
if(NOT EXISTS ${LOADLAB_UPLOT_JS} OR NOT EXISTS ${LOADLAB_UPLOT_CSS})
  message(FATAL_ERROR "uPlot not found in ${LOADLAB_UPLOT_DIR}: the HTML report embeds it at build "
                      "time. Run scripts/setup.sh (it runs 'npm install' in the repository root).")
endif()
set(LOADLAB_HTML_ASSETS_CPP ${CMAKE_CURRENT_BINARY_DIR}/generated/html_assets.cpp)
add_custom_command(
  OUTPUT ${LOADLAB_HTML_ASSETS_CPP}
  COMMAND ${CMAKE_COMMAND} -DJS=${LOADLAB_UPLOT_JS} -DCSS=${LOADLAB_UPLOT_CSS}
          -DOUTPUT=${LOADLAB_HTML_ASSETS_CPP} -P ${CMAKE_CURRENT_SOURCE_DIR}/html_embed_assets.cmake
  DEPENDS ${LOADLAB_UPLOT_JS} ${LOADLAB_UPLOT_CSS} ${CMAKE_CURRENT_SOURCE_DIR}/html_embed_assets.cmake
  COMMENT "Embedding uPlot into the HTML report"
  VERBATIM)
add_library(loadlab_report_html
  html_report.cpp
  html_page.cpp
  html_run_digest.cpp
  html_run_document.cpp
  ${LOADLAB_HTML_ASSETS_CPP})
target_include_directories(loadlab_report_html PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(loadlab_report_html PUBLIC loadlab_core nlohmann_json::nlohmann_json
  PRIVATE loadlab_load_model loadlab_warnings)
