// The HTML report: self-contained (uPlot inlined, no network), data embedded safely, Markdown;
// and a run result read into exact percentiles.
#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/hdr_histogram.hpp"
#include "report/compare.hpp"
#include "report/html_assets.hpp"
#include "report/html_run_document.hpp"

namespace loadlab::report {
namespace {

ReportDocument sample_document() {
  ReportDocument document;
  document.title = "Lab </script><b>";
  document.notes = {"limits: cgroup v1"};
  Section section;
  section.title = "cpu-stress";
  section.tables.push_back(
      {{"expectation", "verdict"}, {{"p99 bounded", "confirmed: 80 ms < 500 ms"}}});
  Panel naked{"naked", {{"p99", "900 ms"}}, {}};
  naked.charts.push_back(
      {"Latency", "ms", {0, 1, 2}, {{"p99", {1, std::nan(""), 3}}}, {{1.0, "restart"}}, false});
  section.panels = {naked, naked};
  section.panels[1].title = "protected";
  document.sections.push_back(section);
  return document;
}

TEST(HtmlReport, IsSelfContainedWithUplotInlinedAndNoExternalReferences) {
  const auto html = render_html(sample_document());
  EXPECT_GT(uplot_js().size(), 10000u);
  EXPECT_NE(html.find(std::string(uplot_js().substr(0, 200))), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // uPlot's licence comment names its repository; nothing may be fetched from anywhere.
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "import(", "fetch("}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
}

TEST(HtmlReport, EmbedsTheDocumentWithoutClosingItsScriptEarly) {
  const auto html = render_html(sample_document());
  const auto start = html.find("id=\"report-data\">") + 17;
  const auto end = html.find("</script>", start);
  const auto parsed = nlohmann::json::parse(html.substr(start, end - start));
  EXPECT_EQ(parsed["title"], "Lab </script><b>");
  EXPECT_TRUE(parsed["sections"][0]["panels"][0]["charts"][0]["lines"][0]["values"][1].is_null());
  EXPECT_EQ(chart_count(sample_document()), 2u);
}

TEST(HtmlReport, MarkdownHasTablesAndFacts) {
  const auto markdown = render_markdown(sample_document());
  EXPECT_NE(markdown.find("| expectation | verdict |"), std::string::npos);
  EXPECT_NE(markdown.find("| p99 bounded | confirmed: 80 ms < 500 ms |"), std::string::npos);
  EXPECT_NE(markdown.find("**naked**: p99 900 ms"), std::string::npos);
}

nlohmann::json run_result() {
  core::HdrHistogram ok;
  for (int i = 1; i <= 100; ++i) ok.record(i * 1000);  // 1..100 ms
  core::HdrHistogram failed;
  failed.record(500'000, 10);
  return {{"info", {{"elapsed_s", 10.0}, {"target", "http://127.0.0.1:1"}}},
          {"metrics",
           {{"names", {{{"name", "api"}}}},
            {"requests",
             {{{"scenario", 0},
               {"request", 0},
               {"status", 200},
               {"requests", 100},
               {"failed", 0},
               {"latency", ok.to_json()}},
              {{"scenario", 0},
               {"request", 0},
               {"status", 503},
               {"requests", 10},
               {"failed", 10},
               {"latency", failed.to_json()}}}},
            {"scenarios", {{{"dropped_iterations", 3}, {"interrupted", 2}}}}}},
          {"series",
           {{"interval_s", 1},
            {"points",
             {{{"t", 0},
               {"http_reqs", 60},
               {"http_req_failed", 5},
               {"http_req_latency",
                {{"count", 60}, {"p50", 10}, {"p90", 20}, {"p99", 30}, {"max", 40}}}},
              {{"t", 1},
               {"http_reqs", 0},
               {"http_req_failed", 0},
               {"http_req_latency", {{"count", 0}}}}}}}}};
}

TEST(RunDigest, ReadsTotalsExactPercentilesStatusesAndSeries) {
  const auto digest = digest_run_result(run_result());
  ASSERT_TRUE(digest.has_value()) << digest.error();
  EXPECT_EQ(digest->total.requests, 110);
  EXPECT_EQ(digest->total.failed, 10);
  EXPECT_DOUBLE_EQ(digest->total.throughput, 11);
  EXPECT_DOUBLE_EQ(digest->total.goodput, 10);
  EXPECT_NEAR(digest->scenarios[0].p50_ms, 55, 0.1);
  EXPECT_NEAR(digest->scenarios[0].p99_ms, 500, 1);
  EXPECT_EQ(digest->total.statuses.at(503), 10);
  EXPECT_EQ(digest->total.dropped_iterations, 3);
  ASSERT_EQ(digest->series.t.size(), 2u);
  EXPECT_EQ(digest->series.ok_per_s[0], 55);
  EXPECT_TRUE(std::isnan(digest->series.p99_ms[1])) << "an empty second is a gap, not 0 ms";
  EXPECT_EQ(format_statuses(digest->total.statuses), "200: 100, 503: 10");
}

TEST(RunDigest, NamesWhatEndedTheRequestsWithoutAResponse) {
  auto result = run_result();
  auto& requests = result["metrics"]["requests"];
  core::HdrHistogram slow;
  slow.record(2'000'000, 4);
  for (const auto& [error, count] : {std::pair{"request_timeout", 3}, {"connect_refused", 1}}) {
    requests.push_back({{"scenario", 0},
                        {"request", 0},
                        {"status", 0},
                        {"error", error},
                        {"requests", count},
                        {"failed", count},
                        {"latency", slow.to_json()}});
  }
  // An entry written before causes were recorded counts, without a cause.
  requests.push_back({{"scenario", 0},
                      {"request", 0},
                      {"status", 0},
                      {"requests", 2},
                      {"failed", 2},
                      {"latency", slow.to_json()}});
  const auto digest = digest_run_result(result);
  ASSERT_TRUE(digest.has_value()) << digest.error();
  EXPECT_EQ(digest->total.statuses.at(0), 6);
  EXPECT_EQ(format_statuses(digest->total.statuses, digest->total.no_response_causes),
            "200: 100, 503: 10, no response: 6 (request timeout: 3, connection refused: 1)");
  EXPECT_EQ(format_statuses({{0, 5}}), "no response: 5");
  EXPECT_EQ(format_statuses({}), "none");
}

TEST(RunDigest, SaysHowManyIterationsWereCutAtTheEnd) {
  // Cut iterations are in no request count and no latency: a report that left them out would
  // show a queue that never answered within the run as fewer requests.
  auto digest = digest_run_result(run_result());
  ASSERT_TRUE(digest.has_value()) << digest.error();
  EXPECT_EQ(digest->scenarios[0].interrupted_iterations, 2);
  EXPECT_EQ(digest->total.interrupted_iterations, 2);
  const auto facts = run_facts(digest->total);
  const auto fact = std::find_if(facts.begin(), facts.end(),
                                 [](const auto& f) { return f.first == "interrupted at the end"; });
  ASSERT_NE(fact, facts.end());
  EXPECT_EQ(fact->second, "2");
  const auto table = document_from_run(*digest, "run").sections[0].tables[0];
  const auto column = std::find(table.header.begin(), table.header.end(), "interrupted");
  ASSERT_NE(column, table.header.end());
  EXPECT_EQ(table.rows[0][static_cast<std::size_t>(column - table.header.begin())], "2");
  // Kept through the lab's JSON (lab.json, `loadlab compare`).
  EXPECT_EQ(scenario_digest_from_json(scenario_digest_json(digest->total)).interrupted_iterations,
            2);

  auto none = run_result();
  none["metrics"]["scenarios"][0].erase("interrupted");  // also how older results read
  digest = digest_run_result(none);
  ASSERT_TRUE(digest.has_value()) << digest.error();
  EXPECT_EQ(digest->total.interrupted_iterations, 0);
  for (const auto& [name, value] : run_facts(digest->total)) {
    EXPECT_NE(name, "interrupted at the end") << "only when some were";
  }
}

TEST(RunDigest, RejectsWhatIsNotARunResult) {
  EXPECT_FALSE(digest_run_result(nlohmann::json::array()).has_value());
  EXPECT_FALSE(digest_run_result(nlohmann::json{{"metrics", 1}}).has_value());
  auto broken = run_result();
  broken["metrics"]["requests"][0]["scenario"] = 7;
  EXPECT_FALSE(digest_run_result(broken).has_value());
}

TEST(RunDocument, HasOneChartPerSeriesKindAndAScenarioTable) {
  const auto digest = digest_run_result(run_result());
  ASSERT_TRUE(digest.has_value());
  const auto document = document_from_run(*digest, "run");
  EXPECT_EQ(chart_count(document), 4u);
  EXPECT_EQ(document.sections[0].tables[0].rows.size(), 1u);
}

}  // namespace
}  // namespace loadlab::report
