// /proc parsing: CPU ticks with awkward command names, VmRSS, and the live reader on ourselves.
#include "lab/proc_stats.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "lab/time_series.hpp"

namespace loadlab::lab {
namespace {

TEST(ProcStats, SumsUtimeAndStimeAfterTheLastParenthesis) {
  const auto ticks = parse_stat_cpu_ticks(
      "4242 (we (ird) name) S 1 4242 4242 0 -1 4194304 500 0 0 0 170 30 0 0 20 0 9 0 100 1000 50");
  ASSERT_TRUE(ticks.has_value());
  EXPECT_EQ(*ticks, 200u);
  EXPECT_FALSE(parse_stat_cpu_ticks("garbage").has_value());
}

TEST(ProcStats, ReadsVmRssInBytes) {
  EXPECT_EQ(parse_status_rss_bytes("Name:\tx\nVmPeak:\t  9 kB\nVmRSS:\t    2048 kB\n"),
            2048u * 1024);
  EXPECT_FALSE(parse_status_rss_bytes("Name:\tzombie\n").has_value());
}

TEST(ProcStats, ReadsThisProcess) {
  const auto usage = read_process_usage(::getpid());
  ASSERT_TRUE(usage.has_value());
  EXPECT_GT(usage->rss_bytes, 0u);
}

TEST(TimeSeries, KeepsColumnsAlignedWithGapsAndRoundTripsJson) {
  TimeSeries series;
  series.append(0, {{"a", 1}});
  series.append(1, {{"a", 2}, {"b", 5}});
  series.append(2, {{"b", 7}});
  ASSERT_EQ(series.column("a")->size(), 3u);
  EXPECT_TRUE(std::isnan((*series.column("b"))[0]));
  EXPECT_TRUE(std::isnan((*series.column("a"))[2]));
  EXPECT_EQ(series.max_of("b"), 7);
  EXPECT_EQ(series.sum_of("a"), 3);
  const auto json = series.to_json();
  EXPECT_TRUE(json["columns"]["b"][0].is_null());
  const auto back = TimeSeries::from_json(json);
  EXPECT_EQ(back.times(), series.times());
  EXPECT_EQ(back.sum_of("b"), 12);
}

}  // namespace
}  // namespace loadlab::lab
