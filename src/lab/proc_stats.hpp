// A process's CPU time and resident memory from /proc/PID/stat and /proc/PID/status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace loadlab::lab {

struct ProcessUsage {
  std::uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks
  std::uint64_t rss_bytes = 0;
};

// utime+stime (fields 14 and 15) of a /proc/PID/stat line; the command name may hold spaces
// and parentheses, so fields are counted from the last ')'.
std::optional<std::uint64_t> parse_stat_cpu_ticks(std::string_view stat_line);
// VmRSS of /proc/PID/status in bytes.
std::optional<std::uint64_t> parse_status_rss_bytes(std::string_view status_text);

// Reads both for a live process; nullopt when it is gone.
std::optional<ProcessUsage> read_process_usage(pid_t pid);
long clock_ticks_per_second() noexcept;

}  // namespace loadlab::lab
