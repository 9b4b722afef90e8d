// /proc parsing for the sampler (pure parsers plus a thin reader).
#include "lab/proc_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace loadlab::lab {

std::optional<std::uint64_t> parse_stat_cpu_ticks(std::string_view stat_line) {
  const auto close = stat_line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::istringstream fields{std::string(stat_line.substr(close + 1))};
  // After ')': state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15).
  std::string field;
  for (int index = 3; index <= 13; ++index) {
    if (!(fields >> field)) return std::nullopt;
  }
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return utime + stime;
}

std::optional<std::uint64_t> parse_status_rss_bytes(std::string_view status_text) {
  const auto at = status_text.find("VmRSS:");
  if (at == std::string_view::npos) return std::nullopt;
  std::istringstream line{std::string(status_text.substr(at + 6))};
  std::uint64_t kib = 0;
  std::string unit;
  if (!(line >> kib >> unit) || unit != "kB") return std::nullopt;
  return kib * 1024;
}

std::optional<ProcessUsage> read_process_usage(pid_t pid) {
  const auto base = "/proc/" + std::to_string(pid);
  std::ifstream stat_file(base + "/stat");
  std::string stat_line;
  if (!std::getline(stat_file, stat_line)) return std::nullopt;
  std::ifstream status_file(base + "/status");
  std::stringstream status;
  status << status_file.rdbuf();
  const auto ticks = parse_stat_cpu_ticks(stat_line);
  const auto rss = parse_status_rss_bytes(status.str());
  if (!ticks) return std::nullopt;
  return ProcessUsage{*ticks, rss.value_or(0)};  // a zombie has no VmRSS
}

long clock_ticks_per_second() noexcept {
  return ::sysconf(_SC_CLK_TCK);
}

}  // namespace loadlab::lab
