# Test helpers: every test binary links GoogleTest and is discovered by CTest.
#   loadlab_unit_test(NAME SOURCES a.cpp b.cpp LIBS loadlab_core [LABELS unit])
function(loadlab_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;PROPERTIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock loadlab_warnings)
  target_compile_definitions(${name} PRIVATE
    LOADLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    LOADLAB_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}" ${T_PROPERTIES})
endfunction()
