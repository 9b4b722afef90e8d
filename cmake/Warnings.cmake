# Warning flags shared by every loadlab target (attach with loadlab_warnings()).
add_library(loadlab_warnings INTERFACE)
target_compile_options(loadlab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wno-missing-field-initializers)
option(LOADLAB_WERROR "Treat warnings as errors" OFF)
if(LOADLAB_WERROR)
  target_compile_options(loadlab_warnings INTERFACE -Werror)
endif()
