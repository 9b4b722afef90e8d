// `loadlab run URL -c N -d 30s [-R rate]` (quick mode, like wrk/wrk2) and
// `loadlab run SCENARIO.yaml` (k6 options): runs the load engine, shows a live line on a
// terminal, prints the summary, writes --out files; exit 99 when a threshold fails (as k6).
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/duration.hpp"
#include "load/engine/engine.hpp"
#include "load/engine/url.hpp"
#include "load/result.hpp"
#include "load/scenario.hpp"
#include "load/scenario_loader.hpp"
#include "load/shard.hpp"
#include "load/summary_text.hpp"

namespace loadlab::cli {
namespace {

constexpr int kThresholdsFailed = 99;  // k6's exit code
constexpr int kInterrupted = 130;
// The cap scenario files put on VU counts (fields::as_count): more VUs than this exhaust memory
// before the first request instead of failing with a message.
constexpr std::int64_t kMaxConnections = 10'000'000;

struct RunCommandLine {
  std::string target;  // URL or scenario file
  std::int64_t connections = 10;
  std::string duration = "10s";
  int threads = 0;
  std::optional<double> rate;
  std::vector<std::string> headers;
  std::string method = "GET";
  std::string body_file;
  std::string timeout = "10s";
  std::string base_url;
  std::vector<std::string> outputs;
  std::string shard = "1/1";
  std::uint64_t seed = 0;
  bool quiet = false;
  bool print_config = false;
  bool insecure_skip_tls_verify = false;
  // epoll by default: with io_uring (the server's default) the generator measured about 4 % fewer
  // requests per CPU-second against nginx (docs/benchmarks.md, session 6).
  std::string io_backend = "epoll";
};

core::Duration duration_flag(const std::string& flag, const std::string& text) {
  auto parsed = core::parse_duration(text);
  if (!parsed) throw CommandFailed(2, flag + " " + text + ": " + parsed.error());
  return *parsed;
}

std::string read_file(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandFailed(2, flag + " " + path + ": cannot read the file");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

load::TestPlan quick_plan_from(const RunCommandLine& line, const CLI::App& command) {
  if (auto parts = load::engine::split_url(line.target); !parts) {
    throw CommandFailed(2, parts.error());
  }
  load::QuickOptions quick;
  quick.url = line.target;
  if (line.connections < 1) throw CommandFailed(2, "-c must be at least 1");
  if (line.connections > kMaxConnections) {
    throw CommandFailed(2, "-c " + std::to_string(line.connections) + ": expected at most " +
                               std::to_string(kMaxConnections) + " (as a scenario file's VUs)");
  }
  quick.connections = line.connections;
  quick.duration = duration_flag("-d", line.duration);
  if (quick.duration.count() <= 0) throw CommandFailed(2, "-d must be positive");
  // CLI11 reads "nan" and "inf" as doubles; neither is a schedule (nan compares false to 0).
  if (line.rate && (!std::isfinite(*line.rate) || *line.rate <= 0 || *line.rate > 1e9)) {
    throw CommandFailed(2, fmt::format("-R {}: expected a finite positive rate, at most 1e9 (as "
                                       "in a scenario file)",
                                       *line.rate));
  }
  quick.rate = line.rate;
  if (!load::is_http_token(line.method)) {
    throw CommandFailed(2, "-m '" + line.method +
                               "': expected an HTTP method (a token such as GET, POST or PURGE)");
  }
  quick.method = line.method;
  bool host_given = false;
  for (const auto& header : line.headers) {
    const auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      throw CommandFailed(2, "-H '" + header + "': expected 'Name: value'");
    }
    auto value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    auto name = header.substr(0, colon);
    // The same rules as a scenario file's headers: no CR/LF injection, no second Content-Length.
    if (const auto problem = load::header_problem(name, value); !problem.empty()) {
      throw CommandFailed(2, "-H '" + header + "': " + problem);
    }
    if (load::same_header_name(name, "Host")) {
      if (host_given) {
        throw CommandFailed(
            2, "-H '" + header + "': Host given twice (header names are case-insensitive)");
      }
      host_given = true;
    }
    quick.headers.emplace_back(std::move(name), std::move(value));
  }
  if (command.count("--body") > 0) quick.body = read_file(line.body_file, "--body");
  quick.timeout = duration_flag("--timeout", line.timeout);
  if (quick.timeout.count() <= 0) throw CommandFailed(2, "--timeout must be positive");
  return load::quick_plan(quick);
}

load::TestPlan file_plan_from(const RunCommandLine& line, const CLI::App& command) {
  for (const char* flag : {"-c", "-d", "-R", "-H", "-m", "--body", "--timeout"}) {
    if (command.count(flag) > 0) {
      throw CommandFailed(
          2, std::string(flag) + " applies to a URL; a scenario file sets this in its options");
    }
  }
  load::LoadOptions options;
  options.env = load::process_env();
  if (!line.base_url.empty()) {
    options.base_url_override = line.base_url;
  } else if (const char* base = std::getenv("BASE_URL"); base != nullptr && *base != '\0') {
    options.base_url_override = base;
  }
  auto plan = load::load_plan_file(line.target, options);
  if (!plan) throw CommandFailed(2, plan.error());
  return std::move(plan).value();
}

// An --out file, opened (and truncated) before the run: a path that cannot be written fails at
// once, not after a test whose results it was meant to keep.
class OutputFile {
 public:
  OutputFile(const std::string& spec, std::string path) : path_(std::move(path)) {
    stream_.open(path_, std::ios::binary | std::ios::trunc);
    if (!stream_) {
      throw CommandFailed(2,
                          "--out " + spec + ": cannot open for writing: " + std::strerror(errno));
    }
  }
  // Writes text and closes; false (with the reason in error()) when it did not all reach the file.
  bool write(const std::string& text) {
    errno = 0;
    stream_ << text;
    stream_.close();
    if (stream_.fail()) {
      error_ =
          "cannot write " + path_ + (errno != 0 ? std::string(": ") + std::strerror(errno) : "");
      return false;
    }
    return true;
  }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  std::string path_;
  std::ofstream stream_;
  std::string error_;
};

struct OutputSpecs {
  std::string json;  // json=FILE's FILE, empty when not asked for
  std::string csv;
};

OutputSpecs parse_outputs(const std::vector<std::string>& specs) {
  OutputSpecs outputs;
  for (const auto& spec : specs) {
    const auto equals = spec.find('=');
    const auto kind = spec.substr(0, equals);
    const auto path = equals == std::string::npos ? std::string{} : spec.substr(equals + 1);
    if (path.empty() || (kind != "json" && kind != "csv")) {
      throw CommandFailed(2, "--out " + spec + ": expected json=FILE or csv=FILE");
    }
    std::string& slot = kind == "json" ? outputs.json : outputs.csv;
    if (!slot.empty()) throw CommandFailed(2, "--out " + spec + ": " + kind + " given twice");
    slot = path;
  }
  // One file for both would hold whichever was written last: the other output would be lost.
  std::error_code ignored;
  if (!outputs.json.empty() && !outputs.csv.empty() &&
      std::filesystem::weakly_canonical(outputs.json, ignored) ==
          std::filesystem::weakly_canonical(outputs.csv, ignored)) {
    throw CommandFailed(
        2, "--out json=" + outputs.json + " and csv=" + outputs.csv + " name the same file");
  }
  return outputs;
}

// SIGINT/SIGTERM are blocked in every thread of the run and polled by the engine, so a Ctrl-C
// ends the run with its summary instead of killing the process.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~BlockedStopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;

  bool received() {
    const timespec zero{0, 0};
    return sigtimedwait(&set_, nullptr, &zero) > 0;
  }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

// Tens of thousands of connections need as many descriptors as the hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void run(const RunCommandLine& line, const CLI::App& command) {
  // Any scheme makes the target a URL (so ftp://... is refused as a URL, not looked for as a file).
  const bool quick = load::engine::has_url_scheme(line.target);
  load::TestPlan plan = quick ? quick_plan_from(line, command) : file_plan_from(line, command);
  if (quick && !line.base_url.empty()) throw CommandFailed(2, "--target applies to scenario files");
  const OutputSpecs output_specs = parse_outputs(line.outputs);
  auto shard = load::parse_shard(line.shard);
  if (!shard) throw CommandFailed(2, shard.error());
  if (line.threads < 0) throw CommandFailed(2, "-t must be at least 1");
  if (line.insecure_skip_tls_verify) plan.insecure_skip_tls_verify = true;

  if (line.print_config) {
    std::printf("%s\n", load::plan_to_json(plan).dump(2).c_str());
    return;
  }

  std::optional<OutputFile> json_output;
  std::optional<OutputFile> csv_output;
  if (!output_specs.json.empty())
    json_output.emplace("json=" + output_specs.json, output_specs.json);
  if (!output_specs.csv.empty()) csv_output.emplace("csv=" + output_specs.csv, output_specs.csv);

  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  const bool live = !line.quiet && isatty(STDERR_FILENO) != 0;
  BlockedStopSignals signals;
  load::engine::EngineOptions options;
  options.threads = line.threads;
  options.shard = *shard;
  options.queue_when_busy = quick && line.rate.has_value();
  options.seed = line.seed;
  const auto backend = http::choose_poller_backend(line.io_backend);
  if (!backend) {
    throw CommandFailed(2, "--io-backend " + line.io_backend + ": must be auto, epoll or io_uring");
  }
  if (line.io_backend == "io_uring" && !http::io_uring_available()) {
    throw CommandFailed(2,
                        "--io-backend io_uring: this kernel or container does not allow io_uring");
  }
  options.io_backend = *backend;
  options.interrupted = [&signals] { return signals.received(); };
  if (live) {
    options.on_progress = [](const load::engine::Progress& progress) {
      std::fprintf(stderr, "\r\033[K%s", load::engine::format_progress(progress).c_str());
      std::fflush(stderr);
    };
  }

  load::RunResult result;
  try {
    result = load::engine::run_plan(plan, options, core::SteadyClock::instance());
  } catch (const std::exception& error) {
    throw CommandFailed(2, error.what());
  }
  if (live) std::fprintf(stderr, "\r\033[K");

  // Every output is attempted and the summary printed before a failed write is reported, so one
  // full disk loses as little of the run as it can.
  std::string write_errors;
  const auto write_output = [&write_errors](std::optional<OutputFile>& output,
                                            const std::string& text) {
    if (output && !output->write(text)) {
      write_errors += (write_errors.empty() ? "" : "; ") + output->error();
    }
  };
  if (json_output) write_output(json_output, load::result_to_json(result).dump(1) + "\n");
  if (csv_output) write_output(csv_output, load::series_csv(result.metrics));
  const bool color = isatty(STDOUT_FILENO) != 0;
  std::fputs(load::summary_text(result, load::SummaryStyle{color}).c_str(), stdout);
  std::fflush(stdout);
  const bool verdict_failed = result.info.aborted || !result.thresholds_passed();
  // A failed verdict keeps its exit code (130 or 99); the failed write is still said.
  if (!write_errors.empty() && verdict_failed) {
    std::fprintf(stderr, "loadlab: %s\n", write_errors.c_str());
  }

  if (result.info.aborted && result.info.abort_reason == "interrupted") {
    throw CommandFailed(kInterrupted, "run interrupted");
  }
  if (result.info.aborted) throw CommandFailed(kThresholdsFailed, result.info.abort_reason);
  if (!result.thresholds_passed())
    throw CommandFailed(kThresholdsFailed, "some thresholds have failed");
  if (!write_errors.empty()) throw CommandFailed(1, write_errors);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "run", "generate load: a URL (quick mode, like wrk/wrk2) or a scenario file (k6 options)");
  auto line = std::make_shared<RunCommandLine>();
  command->add_option("target", line->target, "http://URL or SCENARIO.yaml|json")->required();
  command
      ->add_option("-c,--connections", line->connections,
                   "connections (closed model: VUs; with -R: the most in flight)")
      ->capture_default_str();
  command->add_option("-d,--duration", line->duration, "test length, e.g. 30s, 1m30s")
      ->capture_default_str();
  command->add_option("-t,--threads", line->threads, "worker threads (default: one per CPU)");
  command->add_option("-R,--rate", line->rate,
                      "open model: total requests per second (latency from the intended start)");
  command->add_option("-H,--header", line->headers, "request header 'Name: value' (repeatable)");
  command->add_option("-m,--method", line->method, "request method")->capture_default_str();
  command->add_option("--body", line->body_file, "file whose bytes are the request body");
  command->add_option("--timeout", line->timeout, "request timeout")->capture_default_str();
  command->add_option("--target", line->base_url,
                      "base URL for a scenario file's relative URLs (else BASE_URL, else baseUrl)");
  command->add_option("--out", line->outputs, "json=FILE or csv=FILE (repeatable)");
  command->add_option("--shard", line->shard, "run slice i of n (i/n) for `loadlab merge`")
      ->capture_default_str();
  command->add_option("--seed", line->seed, "random seed (0: from the clock)");
  command
      ->add_option("--io-backend", line->io_backend,
                   "epoll | io_uring | auto: how workers send and receive (auto: io_uring if "
                   "allowed)")
      ->capture_default_str();
  command->add_flag("-q,--quiet", line->quiet, "no live progress line");
  command->add_flag("--insecure-skip-tls-verify", line->insecure_skip_tls_verify,
                    "https without checking the server's certificate (k6's option)");
  command->add_flag("--print-config", line->print_config,
                    "print the effective plan as a scenario file and exit");
  command->callback([line, command] { run(*line, *command); });
}

}  // namespace loadlab::cli
