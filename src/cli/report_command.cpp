// `loadlab report RESULT.json -o report.html`: renders a `loadlab run` or `loadlab lab` result as a
// self-contained HTML report (and optionally Markdown).
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "lab/lab_report.hpp"
#include "report/html_report.hpp"
#include "report/html_run_document.hpp"

namespace loadlab::cli {
namespace {

struct ReportOptions {
  std::string input;
  std::string html_out = "report.html";
  std::string markdown_out;
  std::string title;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw CommandFailed(2, "cannot write " + path);
}

void run_report(const ReportOptions& options) {
  std::ifstream in(options.input);
  if (!in) throw CommandFailed(2, "cannot open " + options.input);
  nlohmann::json result;
  try {
    result = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw CommandFailed(2, options.input + ": not valid JSON (" + error.what() + ")");
  }
  report::ReportDocument document;
  if (result.is_object() && result.value("kind", "") == "loadlab-lab") {
    auto lab_document = lab::document_from_lab_result(result);
    if (!lab_document) throw CommandFailed(2, options.input + ": " + lab_document.error());
    document = std::move(lab_document).value();
  } else {
    const auto digest = report::digest_run_result(result);
    if (!digest) throw CommandFailed(2, options.input + ": " + digest.error());
    document = report::document_from_run(
        *digest, options.title.empty() ? "loadlab run: " + options.input : options.title);
  }
  if (!options.title.empty()) document.title = options.title;
  write_file(options.html_out, report::render_html(document));
  if (!options.markdown_out.empty())
    write_file(options.markdown_out, report::render_markdown(document));
  std::cout << "report written to " << options.html_out << " (" << report::chart_count(document)
            << " charts)\n";
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  auto* command = app.add_subcommand(
      "report", "Render a run or lab result JSON as a self-contained HTML report");
  command
      ->add_option("RESULT", options->input,
                   "result JSON of `loadlab run --out json=` or `loadlab lab`")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", options->html_out, "HTML file to write")
      ->capture_default_str();
  command->add_option("--markdown", options->markdown_out, "also write the tables as Markdown");
  command->add_option("--title", options->title, "report title");
  command->callback([options] { run_report(*options); });
}

}  // namespace loadlab::cli
