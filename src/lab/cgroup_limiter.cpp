// Resource limits through the kernel's cgroups: v1 (memory.limit_in_bytes, cpu.cfs_quota_us) or
// v2 (memory.max, cpu.max); one group per child under a loadlab-<pid> parent, removed at the end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "lab/cgroups.hpp"
#include "lab/resource_limits.hpp"

namespace loadlab::lab {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_text(const std::string& path, const std::string& value, std::string* error = nullptr) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok =
      fd >= 0 && ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!ok && error != nullptr) *error = path + ": " + std::strerror(saved);
  return ok;
}

// "key value" lines (memory.oom_control, memory.events): the value of key, 0 when absent.
std::uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string name;
  std::uint64_t value = 0;
  while (lines >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

bool make_dir(const std::string& path, std::string& error) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return true;
  error = path + ": " + std::strerror(errno);
  return false;
}

// A cgroup is removable once its last task is gone; the kernel may need a moment after a kill.
void remove_dir(const std::string& path) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Removes empty loadlab-<pid> groups left behind by lab processes that no longer exist.
void remove_stale_parents(const std::string& base) {
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(base, ignored)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("loadlab-", 0) != 0) continue;
    const auto pid = std::atoi(name.c_str() + 8);
    if (pid <= 0 || fs::exists("/proc/" + std::to_string(pid), ignored)) continue;
    for (const auto& child : fs::directory_iterator(entry.path(), ignored)) {
      if (child.is_directory()) ::rmdir(child.path().c_str());
    }
    ::rmdir(entry.path().c_str());
  }
}

class CgroupConfinement final : public Confinement {
 public:
  CgroupConfinement(LimitMechanism version, std::vector<std::string> dirs)
      : version_(version), dirs_(std::move(dirs)) {
    for (const auto& dir : dirs_) procs_files_.push_back(dir + "/cgroup.procs");
  }
  ~CgroupConfinement() override {
    for (const auto& dir : dirs_) remove_dir(dir);
  }

  void enter_from_child() const noexcept override {
    // Writing "0" moves the writing process itself, so the child needs no pid formatting.
    for (const auto& file : procs_files_) {
      const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) continue;
      [[maybe_unused]] auto written = ::write(fd, "0", 1);
      ::close(fd);
    }
  }
  void child_started(pid_t) override {}
  void child_stopped() override {}

  [[nodiscard]] std::uint64_t memory_kills() const override {
    const auto& memory_dir = dirs_.front();
    if (version_ == LimitMechanism::cgroup_v1) {
      return keyed_value(read_text(memory_dir + "/memory.oom_control"), "oom_kill");
    }
    return keyed_value(read_text(memory_dir + "/memory.events"), "oom_kill");
  }

 private:
  LimitMechanism version_;
  std::vector<std::string> dirs_;  // memory directory first
  std::vector<std::string> procs_files_;
};

class CgroupLimiter final : public ResourceLimiter {
 public:
  CgroupLimiter(LimitMechanism version, CgroupPlacement placement, std::vector<std::string> parents)
      : version_(version), placement_(std::move(placement)), parents_(std::move(parents)) {}
  ~CgroupLimiter() override {
    for (const auto& parent : parents_) remove_dir(parent);
  }

  [[nodiscard]] LimitMechanism mechanism() const noexcept override { return version_; }

  [[nodiscard]] std::string describe() const override {
    if (version_ == LimitMechanism::cgroup_v2) return "cgroup v2 (" + parents_.front() + ")";
    return "cgroup v1 (memory: " + parents_[0] + ", cpu: " + parents_[1] + ")";
  }

  std::unique_ptr<Confinement> confine(const std::string& child_name,
                                       const ResourceLimits& limits) override {
    std::string error;
    std::vector<std::string> dirs;
    for (const auto& parent : parents_) {
      const auto dir = parent + "/" + child_name;
      if (!make_dir(dir, error)) throw std::runtime_error("cannot create cgroup " + error);
      dirs.push_back(dir);
    }
    const auto memory = std::to_string(limits.memory_bytes);
    constexpr long kPeriodUs = 100'000;
    const long quota_us = std::max(1000L, std::lround(limits.cpus * kPeriodUs));
    bool ok = true;
    if (version_ == LimitMechanism::cgroup_v1) {
      ok = write_text(dirs[0] + "/memory.limit_in_bytes", memory, &error);
      // With swap accounting, memory+swap gets the same limit so swapping cannot dodge it.
      if (ok && fs::exists(dirs[0] + "/memory.memsw.limit_in_bytes")) {
        ok = write_text(dirs[0] + "/memory.memsw.limit_in_bytes", memory, &error);
      }
      ok = ok && write_text(dirs[1] + "/cpu.cfs_period_us", std::to_string(kPeriodUs), &error);
      ok = ok && write_text(dirs[1] + "/cpu.cfs_quota_us", std::to_string(quota_us), &error);
    } else {
      ok = write_text(dirs[0] + "/memory.max", memory, &error);
      if (ok && fs::exists(dirs[0] + "/memory.swap.max")) {
        ok = write_text(dirs[0] + "/memory.swap.max", "0", &error);
      }
      ok = ok && write_text(dirs[0] + "/cpu.max",
                            std::to_string(quota_us) + " " + std::to_string(kPeriodUs), &error);
    }
    auto confinement = std::make_unique<CgroupConfinement>(version_, dirs);
    if (!ok) throw std::runtime_error("cannot set cgroup limit " + error);
    return confinement;
  }

 private:
  LimitMechanism version_;
  CgroupPlacement placement_;
  std::vector<std::string> parents_;  // memory parent first (v1: then cpu parent)
};

}  // namespace

std::unique_ptr<ResourceLimiter> make_cgroup_limiter(LimitMechanism version, std::string& why_not) {
  const auto mounts = parse_mountinfo(read_text("/proc/self/mountinfo"));
  const auto membership = parse_proc_cgroup(read_text("/proc/self/cgroup"));
  const auto parent_name = "loadlab-" + std::to_string(::getpid());
  if (version == LimitMechanism::cgroup_v1) {
    const auto placement = locate_cgroup_v1(mounts, membership);
    if (!placement) {
      why_not = "cgroup v1: memory and cpu controllers are not both mounted";
      return nullptr;
    }
    std::vector<std::string> parents{placement->memory_dir + "/" + parent_name,
                                     placement->cpu_dir + "/" + parent_name};
    remove_stale_parents(placement->memory_dir);
    remove_stale_parents(placement->cpu_dir);
    std::string error;
    if (!make_dir(parents[0], error) || !make_dir(parents[1], error)) {
      ::rmdir(parents[0].c_str());
      why_not = "cgroup v1 not writable: " + error;
      return nullptr;
    }
    return std::make_unique<CgroupLimiter>(version, *placement, parents);
  }
  const auto placement = locate_cgroup_v2(mounts, membership);
  if (!placement) {
    why_not = "cgroup v2: no cgroup2 filesystem mounted";
    return nullptr;
  }
  const auto controllers = read_text(placement->memory_dir + "/cgroup.controllers");
  if (controllers.find("memory") == std::string::npos ||
      controllers.find("cpu") == std::string::npos) {
    why_not = "cgroup v2: memory and cpu controllers not available in " + placement->memory_dir;
    return nullptr;
  }
  remove_stale_parents(placement->memory_dir);
  std::string error;
  const auto parent = placement->memory_dir + "/" + parent_name;
  // v2's "no internal processes" rule: enabling controllers for children fails (EBUSY) when this
  // process's own group also holds processes; that is reported and the next mechanism is tried.
  if (!write_text(placement->memory_dir + "/cgroup.subtree_control", "+memory +cpu", &error) ||
      !make_dir(parent, error) ||
      !write_text(parent + "/cgroup.subtree_control", "+memory +cpu", &error)) {
    ::rmdir(parent.c_str());
    why_not = "cgroup v2 not usable: " + error;
    return nullptr;
  }
  return std::make_unique<CgroupLimiter>(version, *placement, std::vector<std::string>{parent});
}

}  // namespace loadlab::lab
