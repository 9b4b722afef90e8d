# LOADLAB_SANITIZE=address,undefined | thread: applied to every target of the build (see CMakePresets.json).
set(LOADLAB_SANITIZE "" CACHE STRING "Comma-separated sanitizers: address,undefined or thread")
if(LOADLAB_SANITIZE)
  add_compile_options(-fsanitize=${LOADLAB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LOADLAB_SANITIZE})
endif()
