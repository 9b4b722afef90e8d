// The standard process_* series, read from /proc/self at scrape time (Linux only).
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "metrics/registry.hpp"

namespace loadlab::metrics {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

ProcStat read_proc_stat() {
  ProcStat stat;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return stat;
  // The command name may contain spaces; fields after the closing parenthesis are fixed.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return stat;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Field 3 (state) is index 0 here; utime=14, stime=15, starttime=22, vsize=23, rss=24.
  for (int index = 3; fields >> field; ++index) {
    if (index == 14 || index == 15) stat.cpu_seconds += std::stod(field) / ticks;
    if (index == 22) stat.start_time_seconds = boot_time_seconds() + std::stod(field) / ticks;
    if (index == 23) stat.virtual_bytes = std::stod(field);
    if (index == 24) {
      stat.resident_bytes = std::stod(field) * page;
      break;
    }
  }
  return stat;
}

double open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

CollectedFamily single(std::string name, std::string help, MetricType type, double value) {
  CollectedFamily family{name, std::move(help), type, {}};
  family.samples.push_back(Sample{std::move(name), {}, value});
  return family;
}

}  // namespace

Collector process_collector() {
  return [] {
    const ProcStat stat = read_proc_stat();
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    std::vector<CollectedFamily> out;
    out.push_back(single("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::counter,
                         stat.cpu_seconds));
    out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::gauge, stat.resident_bytes));
    out.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::gauge, stat.virtual_bytes));
    out.push_back(single("process_open_fds", "Number of open file descriptors.", MetricType::gauge,
                         open_fds()));
    out.push_back(single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::gauge, static_cast<double>(limit.rlim_cur)));
    out.push_back(single("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::gauge, stat.start_time_seconds));
    return out;
  };
}

}  // namespace loadlab::metrics
