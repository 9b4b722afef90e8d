// The supervisor with real child processes: SIGKILL restarts, OOM kills under a memory limit
// (cgroup when writable, else the fallback watchdog), a restarted HTTP child keeping its port.
#include "lab/supervisor.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include "lab/http_probe.hpp"

namespace loadlab::lab {
namespace {

using std::chrono::milliseconds;

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loadlab-sup-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

// Polls the supervisor until the condition holds or ten seconds pass (a bound, not a timing claim).
template <class Condition>
bool poll_until(Supervisor& supervisor, Condition condition) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    supervisor.poll();
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

const char* kHttpChild =
    "import http.server,sys\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "  def do_GET(self):\n"
    "    self.send_response(200); self.send_header('Content-Length','2'); self.end_headers(); "
    "self.wfile.write(b'ok')\n"
    "  def log_message(self,*a): pass\n"
    "port=int(sys.argv[1].split(':')[1])\n"
    "s=http.server.HTTPServer(('127.0.0.1',port),H)\n"
    "print('listening on http://127.0.0.1:%d' % s.server_port, flush=True)\n"
    "s.serve_forever()\n";

const char* kAllocateForever =
    "a=[]\n"
    "while True: a.append(bytearray(b'x'*(1<<20)))\n";

TEST(Supervisor, ChildKilledBySigkillIsRestartedAfterBackoffAndCounted) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  Supervisor supervisor(clock, *limiter, temp_dir("kill"));
  ChildSpec spec;
  spec.name = "sleeper";
  spec.argv = {"/bin/sleep", "60"};
  spec.readiness_path = "";
  const auto first = supervisor.start(spec);
  ASSERT_GT(first.pid, 0);
  ::kill(first.pid, SIGKILL);
  ASSERT_TRUE(
      poll_until(supervisor, [&] { return supervisor.view("sleeper")->deaths.size() == 1; }));
  auto view = *supervisor.view("sleeper");
  EXPECT_EQ(view.deaths[0].cause, DeathCause::signal);
  EXPECT_EQ(view.restarts, 0) << "restarted before the back-off elapsed";
  clock.advance(milliseconds(499));
  supervisor.poll();
  EXPECT_EQ(supervisor.view("sleeper")->restarts, 0);
  clock.advance(milliseconds(1));
  supervisor.poll();
  view = *supervisor.view("sleeper");
  EXPECT_EQ(view.restarts, 1);
  EXPECT_GT(view.pid, 0);
  EXPECT_NE(view.pid, first.pid);
  supervisor.stop_all(milliseconds(500));
  EXPECT_EQ(supervisor.view("sleeper")->deaths.size(), 1u) << "a requested stop is not a death";
}

TEST(Supervisor, NonZeroExitIsRecordedWithItsCode) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  Supervisor supervisor(clock, *limiter, temp_dir("exit"));
  ChildSpec spec;
  spec.name = "failing";
  spec.argv = {"/bin/sh", "-c", "exit 3"};
  spec.readiness_path = "";
  supervisor.start(spec);
  ASSERT_TRUE(poll_until(supervisor, [&] { return !supervisor.view("failing")->deaths.empty(); }));
  const auto death = supervisor.view("failing")->deaths.front();
  EXPECT_EQ(death.cause, DeathCause::exit_code);
  EXPECT_EQ(death.detail, "exit code 3");
}

void expect_oom_kill(ResourceLimiter& limiter, const std::string& name) {
  core::ManualClock clock;
  Supervisor supervisor(clock, limiter, temp_dir(name));
  ChildSpec spec;
  spec.name = name;
  spec.argv = {"/usr/bin/python3", "-c", kAllocateForever};
  spec.readiness_path = "";
  spec.limits = ResourceLimits{1.0, 64ull << 20};
  supervisor.start(spec);
  ASSERT_TRUE(poll_until(supervisor, [&] { return !supervisor.view(name)->deaths.empty(); }))
      << "the allocating child was not killed under " << limiter.describe();
  const auto death = supervisor.view(name)->deaths.front();
  EXPECT_EQ(death.cause, DeathCause::oom_kill) << death.detail << " under " << limiter.describe();
}

TEST(Supervisor, ChildPastItsMemoryLimitIsOomKilledWithTheBestMechanism) {
  std::vector<std::string> notes;
  auto limiter = make_resource_limiter(LimiterChoice::automatic, notes);
  std::cout << "mechanism: " << limiter->describe() << "\n";
  expect_oom_kill(*limiter, "oom-best");
}

TEST(Supervisor, ChildPastItsMemoryLimitIsKilledByTheFallbackWatchdog) {
  auto limiter = make_fallback_limiter();
  expect_oom_kill(*limiter, "oom-fallback");
}

TEST(Supervisor, RestartedHttpChildKeepsItsPortAndBecomesReadyAgain) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  Supervisor supervisor(clock, *limiter, temp_dir("http"));
  ChildSpec spec;
  spec.name = "web";
  spec.argv = {"/usr/bin/python3", "-c", kHttpChild, kListenPlaceholder};
  spec.readiness_path = "/health";
  const auto first = supervisor.start(spec);
  ASSERT_GT(first.port, 0);
  ASSERT_TRUE(first.running);
  ::kill(first.pid, SIGKILL);
  ASSERT_TRUE(poll_until(supervisor, [&] { return !supervisor.view("web")->deaths.empty(); }));
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(poll_until(supervisor, [&] { return supervisor.view("web")->running; }));
  const auto view = *supervisor.view("web");
  EXPECT_EQ(view.port, first.port);
  EXPECT_EQ(view.restarts, 1);
  const auto reply = http_get("127.0.0.1", view.port, "/health");
  ASSERT_TRUE(reply.has_value()) << reply.error();
  EXPECT_EQ(reply->status, 200);
}

TEST(Supervisor, StartFailsWithTheChildsLastErrorLine) {
  core::ManualClock clock;
  auto limiter = make_unlimited_limiter();
  Supervisor supervisor(clock, *limiter, temp_dir("bad"));
  ChildSpec spec;
  spec.name = "broken";
  spec.argv = {"/bin/sh", "-c", "echo 'bind: address in use' >&2; exit 2"};
  try {
    supervisor.start(spec);
    FAIL() << "start() succeeded for a child that exits";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("bind: address in use"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace loadlab::lab
