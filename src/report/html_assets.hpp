// uPlot (MIT, from npm) embedded at build time so a report needs no network when viewed.
#pragma once

#include <string_view>

namespace loadlab::report {

std::string_view uplot_js() noexcept;
std::string_view uplot_css() noexcept;

}  // namespace loadlab::report
