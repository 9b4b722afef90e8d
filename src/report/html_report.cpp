// Rendering of a ReportDocument: JSON, the self-contained HTML page, and Markdown.
#include "report/html_report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/html_assets.hpp"
#include "report/html_page.hpp"

namespace loadlab::report {
namespace {

using Json = nlohmann::json;

Json numbers(const std::vector<double>& values) {
  Json array = Json::array();
  for (const double v : values) array.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
  return array;
}

Json chart_json(const Chart& chart) {
  Json lines = Json::array();
  for (const auto& line : chart.lines)
    lines.push_back({{"label", line.label}, {"values", numbers(line.values)}});
  Json markers = Json::array();
  for (const auto& [at, label] : chart.markers) markers.push_back(Json::array({at, label}));
  return {{"title", chart.title},          {"unit", chart.unit},
          {"x", numbers(chart.x)},         {"lines", std::move(lines)},
          {"markers", std::move(markers)}, {"steps", chart.steps}};
}

Json table_json(const Table& table) {
  return {{"header", table.header}, {"rows", table.rows}};
}

std::string escape_html(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// JSON inside <script>: "</" would end the element, so it is written as "<\/" (same JSON value).
std::string script_safe(std::string text) {
  for (std::size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) {
    text.replace(at, 2, "<\\/");
  }
  return text;
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else
      out.push_back(c);
  }
  return out;
}

}  // namespace

Json to_json(const ReportDocument& document) {
  Json sections = Json::array();
  for (const auto& section : document.sections) {
    Json tables = Json::array();
    for (const auto& table : section.tables) tables.push_back(table_json(table));
    Json panels = Json::array();
    for (const auto& panel : section.panels) {
      Json facts = Json::array();
      for (const auto& [name, value] : panel.facts) facts.push_back(Json::array({name, value}));
      Json charts = Json::array();
      for (const auto& chart : panel.charts) charts.push_back(chart_json(chart));
      panels.push_back(
          {{"title", panel.title}, {"facts", std::move(facts)}, {"charts", std::move(charts)}});
    }
    sections.push_back({{"title", section.title},
                        {"text", section.text},
                        {"tables", std::move(tables)},
                        {"panels", std::move(panels)}});
  }
  return {{"title", document.title}, {"notes", document.notes}, {"sections", std::move(sections)}};
}

std::size_t chart_count(const ReportDocument& document) {
  std::size_t count = 0;
  for (const auto& section : document.sections) {
    for (const auto& panel : section.panels) count += panel.charts.size();
  }
  return count;
}

std::string render_html(const ReportDocument& document) {
  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>" << escape_html(document.title) << "</title>\n"
       << "<style>\n"
       << uplot_css() << "\n</style>\n"
       << "<style>" << report_stylesheet() << "</style>\n"
       << "<script>\n"
       << uplot_js() << "\n</script>\n"
       << "</head>\n<body>\n<main id=\"report\"></main>\n"
       << "<script type=\"application/json\" id=\"report-data\">"
       << script_safe(to_json(document).dump(-1, ' ', false, Json::error_handler_t::replace))
       << "</script>\n<script>" << report_script() << "</script>\n</body>\n</html>\n";
  return page.str();
}

std::string render_markdown(const ReportDocument& document) {
  std::ostringstream out;
  out << "# " << document.title << "\n\n";
  for (const auto& note : document.notes) out << "- " << note << "\n";
  if (!document.notes.empty()) out << "\n";
  for (const auto& section : document.sections) {
    out << "## " << section.title << "\n\n";
    if (!section.text.empty()) out << section.text << "\n\n";
    for (const auto& table : section.tables) {
      out << "|";
      for (const auto& h : table.header) out << " " << markdown_cell(h) << " |";
      out << "\n|";
      for (std::size_t i = 0; i < table.header.size(); ++i) out << " --- |";
      out << "\n";
      for (const auto& row : table.rows) {
        out << "|";
        for (const auto& cell : row) out << " " << markdown_cell(cell) << " |";
        out << "\n";
      }
      out << "\n";
    }
    for (const auto& panel : section.panels) {
      if (panel.facts.empty()) continue;
      out << "**" << panel.title << "**: ";
      for (std::size_t i = 0; i < panel.facts.size(); ++i) {
        out << (i ? "; " : "") << panel.facts[i].first << " " << panel.facts[i].second;
      }
      out << "\n\n";
    }
  }
  return out.str();
}

}  // namespace loadlab::report
