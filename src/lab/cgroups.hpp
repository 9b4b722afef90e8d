// Where this process sits in the kernel's cgroup hierarchies (v1 or v2), parsed from /proc.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadlab::lab {

enum class CgroupVersion { v1, v2 };

// One line of /proc/self/mountinfo, reduced to what cgroup detection needs.
struct MountEntry {
  std::string root;  // the part of the filesystem visible at the mount point
  std::string mount_point;
  std::string fs_type;                     // "cgroup" (v1) or "cgroup2"
  std::vector<std::string> super_options;  // v1: the controllers, e.g. {"rw","cpu","cpuacct"}
};

std::vector<MountEntry> parse_mountinfo(std::string_view text);

// /proc/self/cgroup: controller list -> path ("4:memory:/a/b" gives {"memory","/a/b"};
// "2:cpu,cpuacct:/x" gives both "cpu" and "cpuacct"; the v2 line "0::/x" gives {"", "/x"}).
std::map<std::string, std::string> parse_proc_cgroup(std::string_view text);

// The directories under which loadlab creates its own groups (this process's own cgroups, so that
// whatever limits the machine already imposes still apply above ours).
struct CgroupPlacement {
  CgroupVersion version = CgroupVersion::v1;
  std::string memory_dir;  // v1: memory controller directory; v2: the unified directory
  std::string cpu_dir;     // v1: cpu controller directory; v2: same as memory_dir
};

// The v1 placement when both the memory and the cpu controller are mounted.
std::optional<CgroupPlacement> locate_cgroup_v1(
    const std::vector<MountEntry>& mounts, const std::map<std::string, std::string>& membership);
// The v2 placement when a cgroup2 filesystem is mounted (controllers are checked by the limiter).
std::optional<CgroupPlacement> locate_cgroup_v2(
    const std::vector<MountEntry>& mounts, const std::map<std::string, std::string>& membership);

// Joins a mount point and a cgroup path, honouring the mount's root (containers often mount a
// sub-tree, in which case /proc/self/cgroup paths start with that root).
std::string cgroup_directory(const MountEntry& mount, const std::string& cgroup_path);

}  // namespace loadlab::lab
