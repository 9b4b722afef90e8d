// The sampler against a real child: CPU and RSS from /proc, protection values from its /metrics.
#include "lab/sampler.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace loadlab::lab {
namespace {

const char* kMetricsChild =
    "import http.server,sys\n"
    "n=[0]\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "  def do_GET(self):\n"
    "    n[0]+=5\n"
    "    body=('load_shed_total{reason=\"priority\"} %d\\ncircuit_breaker_state{dependency=\"u\"} "
    "1\\n' % n[0]).encode()\n"
    "    self.send_response(200); self.send_header('Content-Length',str(len(body))); "
    "self.end_headers(); self.wfile.write(body)\n"
    "  def log_message(self,*a): pass\n"
    "s=http.server.HTTPServer(('127.0.0.1',int(sys.argv[1].split(':')[1])),H)\n"
    "print('listening on http://127.0.0.1:%d' % s.server_port, flush=True)\n"
    "x=bytearray(40<<20)\n"
    "s.serve_forever()\n";

TEST(Sampler, RecordsCpuRssAndScrapedProtectionValuesPerSample) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  const auto dir =
      std::filesystem::temp_directory_path() / ("loadlab-sampler-" + std::to_string(::getpid()));
  Supervisor supervisor(clock, *limiter, dir.string());
  ChildSpec spec;
  spec.name = "svc";
  spec.argv = {"/usr/bin/python3", "-c", kMetricsChild, kListenPlaceholder};
  spec.readiness_path = "/metrics";
  supervisor.start(spec);
  Sampler sampler(clock, clock.now());
  sampler.add("svc", [&] { return supervisor.view("svc"); });
  for (int i = 0; i < 3; ++i) {
    sampler.sample_once();
    clock.advance(std::chrono::seconds(1));
  }
  const auto series = sampler.series().at("svc");
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series.times(), (std::vector<double>{0, 1, 2}));
  EXPECT_GT(series.max_of("rss_mb"), 30) << "the child holds a 40 MiB buffer";
  EXPECT_EQ(series.max_of("breaker_state"), 1);
  // /metrics answered 5 more each time (readiness took one): increments after the baseline.
  EXPECT_EQ(series.sum_of("shed"), 10);
  EXPECT_EQ(series.max_of("up"), 1);
  ASSERT_NE(series.column("cpu_cores"), nullptr);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace loadlab::lab
