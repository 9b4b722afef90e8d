# The outbound HTTP client (keep-alive pool, deadlines), compiled into loadlab_http.
target_sources(loadlab_http PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_pool.cpp)
