// The HTML report's document model (sections of tables and side-by-side panels of charts) and its
// rendering into one self-contained report.html; charts are drawn in the browser by uPlot.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace loadlab::report {

struct ChartLine {
  std::string label;
  std::vector<double> values;  // NaN = gap (null in JSON)
};

struct Chart {
  std::string title;
  std::string unit;       // y axis label, e.g. "ms", "req/s", "MiB"
  std::vector<double> x;  // seconds since the start of the run
  std::vector<ChartLine> lines;
  std::vector<std::pair<double, std::string>> markers;  // vertical lines, e.g. restarts
  bool steps = false;                                   // state charts (breaker) are drawn as steps
};

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct Panel {
  std::string title;  // "naked", "protected", ...
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<Chart> charts;
};

struct Section {
  std::string title;
  std::string text;
  std::vector<Table> tables;
  std::vector<Panel> panels;  // drawn side by side; charts of the same title share a y range
};

struct ReportDocument {
  std::string title;
  std::vector<std::string> notes;  // one line each, under the title
  std::vector<Section> sections;
};

[[nodiscard]] nlohmann::json to_json(const ReportDocument& document);
// A complete HTML page: uPlot, its CSS, the document as JSON and the script that draws it.
[[nodiscard]] std::string render_html(const ReportDocument& document);
// The document as Markdown: titles, notes, texts and tables (charts are left to the HTML).
[[nodiscard]] std::string render_markdown(const ReportDocument& document);

// Number of charts the HTML will draw (the browser test compares it with what it finds).
[[nodiscard]] std::size_t chart_count(const ReportDocument& document);

}  // namespace loadlab::report
