// cgroup detection from fixed /proc text: v1 (plain and combined cpu,cpuacct), v2, container roots.
#include "lab/cgroups.hpp"

#include <gtest/gtest.h>

namespace loadlab::lab {
namespace {

constexpr const char* kHybridMountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(Cgroups, ParsesMountinfoTypesAndControllers) {
  const auto mounts = parse_mountinfo(kHybridMountinfo);
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[1].mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(mounts[1].fs_type, "cgroup");
  EXPECT_EQ(mounts[1].super_options, (std::vector<std::string>{"rw", "cpu"}));
  EXPECT_EQ(mounts[4].fs_type, "cgroup2");
}

TEST(Cgroups, ParsesProcCgroupIncludingCombinedControllers) {
  const auto membership = parse_proc_cgroup("4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n");
  EXPECT_EQ(membership.at("memory"), "/process_api/abc");
  EXPECT_EQ(membership.at("cpu"), "/x");
  EXPECT_EQ(membership.at("cpuacct"), "/x");
  EXPECT_EQ(membership.at(""), "/");
}

TEST(Cgroups, LocatesV1GroupsBelowThisProcessesOwnGroups) {
  const auto placement = locate_cgroup_v1(
      parse_mountinfo(kHybridMountinfo), parse_proc_cgroup("4:memory:/process_api/abc\n1:cpu:/\n"));
  ASSERT_TRUE(placement.has_value());
  EXPECT_EQ(placement->version, CgroupVersion::v1);
  EXPECT_EQ(placement->memory_dir, "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(placement->cpu_dir, "/sys/fs/cgroup/cpu");
}

TEST(Cgroups, FindsCombinedCpuCpuacctMount) {
  const auto mounts = parse_mountinfo(
      "1 0 0:1 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "2 0 0:2 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  const auto placement =
      locate_cgroup_v1(mounts, parse_proc_cgroup("3:cpu,cpuacct:/a\n2:memory:/a\n"));
  ASSERT_TRUE(placement.has_value());
  EXPECT_EQ(placement->cpu_dir, "/sys/fs/cgroup/cpu,cpuacct/a");
}

TEST(Cgroups, NoV1WithoutMemoryController) {
  const auto mounts =
      parse_mountinfo("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
  EXPECT_FALSE(locate_cgroup_v1(mounts, {}).has_value());
}

TEST(Cgroups, LocatesV2UnifiedGroupAndStripsContainerRoot) {
  const auto mounts = parse_mountinfo(
      "25 20 0:22 /kubepods/pod1 /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  const auto placement = locate_cgroup_v2(mounts, parse_proc_cgroup("0::/kubepods/pod1/app\n"));
  ASSERT_TRUE(placement.has_value());
  EXPECT_EQ(placement->version, CgroupVersion::v2);
  EXPECT_EQ(placement->memory_dir, "/sys/fs/cgroup/app");
  EXPECT_EQ(placement->cpu_dir, placement->memory_dir);
}

}  // namespace
}  // namespace loadlab::lab
