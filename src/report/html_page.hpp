// The fixed parts of report.html: its stylesheet and the script that turns the document JSON into
// tables and uPlot charts.
#pragma once

#include <string_view>

namespace loadlab::report {

std::string_view report_stylesheet() noexcept;
std::string_view report_script() noexcept;

}  // namespace loadlab::report
