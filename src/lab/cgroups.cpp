// Parsing of /proc/self/mountinfo and /proc/self/cgroup (pure functions; tested on fixed text).
#include "lab/cgroups.hpp"

#include <algorithm>
#include <sstream>

namespace loadlab::lab {
namespace {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.emplace_back(text.substr(start));
      break;
    }
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

const MountEntry* find_v1_mount(const std::vector<MountEntry>& mounts,
                                std::string_view controller) {
  for (const auto& mount : mounts) {
    if (mount.fs_type == "cgroup" && has(mount.super_options, controller)) return &mount;
  }
  return nullptr;
}

std::string membership_of(const std::map<std::string, std::string>& membership,
                          const std::string& controller) {
  const auto it = membership.find(controller);
  return it == membership.end() ? std::string{"/"} : it->second;
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  // Format: id parent major:minor root mount-point options [optional...] - fstype source
  // super-options
  std::vector<MountEntry> mounts;
  for (const auto& line : split(text, '\n')) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    const auto dash = std::find(words.begin(), words.end(), "-");
    if (words.size() < 5 || dash == words.end() || std::distance(dash, words.end()) < 4) continue;
    MountEntry entry;
    entry.root = words[3];
    entry.mount_point = words[4];
    entry.fs_type = *(dash + 1);
    entry.super_options = split(*(dash + 3), ',');
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

std::map<std::string, std::string> parse_proc_cgroup(std::string_view text) {
  std::map<std::string, std::string> membership;
  for (const auto& line : split(text, '\n')) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty()) {
      membership[""] = path;
      continue;
    }
    for (const auto& controller : split(controllers, ',')) membership[controller] = path;
  }
  return membership;
}

std::string cgroup_directory(const MountEntry& mount, const std::string& cgroup_path) {
  std::string relative = cgroup_path;
  if (mount.root != "/" && relative.rfind(mount.root, 0) == 0)
    relative = relative.substr(mount.root.size());
  if (relative.empty() || relative == "/") return mount.mount_point;
  if (relative.front() != '/') relative.insert(relative.begin(), '/');
  return mount.mount_point + relative;
}

std::optional<CgroupPlacement> locate_cgroup_v1(
    const std::vector<MountEntry>& mounts, const std::map<std::string, std::string>& membership) {
  const auto* memory = find_v1_mount(mounts, "memory");
  const auto* cpu = find_v1_mount(mounts, "cpu");
  if (memory == nullptr || cpu == nullptr) return std::nullopt;
  CgroupPlacement placement;
  placement.version = CgroupVersion::v1;
  placement.memory_dir = cgroup_directory(*memory, membership_of(membership, "memory"));
  placement.cpu_dir = cgroup_directory(*cpu, membership_of(membership, "cpu"));
  return placement;
}

std::optional<CgroupPlacement> locate_cgroup_v2(
    const std::vector<MountEntry>& mounts, const std::map<std::string, std::string>& membership) {
  for (const auto& mount : mounts) {
    if (mount.fs_type != "cgroup2") continue;
    CgroupPlacement placement;
    placement.version = CgroupVersion::v2;
    placement.memory_dir = cgroup_directory(mount, membership_of(membership, ""));
    placement.cpu_dir = placement.memory_dir;
    return placement;
  }
  return std::nullopt;
}

}  // namespace loadlab::lab
