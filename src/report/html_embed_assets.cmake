# Script mode (cmake -P): writes a C++ source holding uPlot's minified JS and CSS as byte arrays,
# so report.html is self-contained. Inputs: JS, CSS, OUTPUT.
function(loadlab_bytes_of path out_var)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
  set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()
loadlab_bytes_of("${JS}" js_bytes)
loadlab_bytes_of("${CSS}" css_bytes)
file(WRITE "${OUTPUT}.tmp"
"// Generated from node_modules/uplot/dist by src/report/html_embed_assets.cmake; do not edit.\n"
"#include \"report/html_assets.hpp\"\n"
"namespace loadlab::report {\n"
"namespace {\n"
"const unsigned char kUplotJs[] = {\n${js_bytes}0x00};\n"
"const unsigned char kUplotCss[] = {\n${css_bytes}0x00};\n"
"}  // namespace\n"
"std::string_view uplot_js() noexcept { return {reinterpret_cast<const char*>(kUplotJs), sizeof(kUplotJs) - 1}; }\n"
"std::string_view uplot_css() noexcept { return {reinterpret_cast<const char*>(kUplotCss), sizeof(kUplotCss) - 1}; }\n"
"}  // namespace loadlab::report\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
