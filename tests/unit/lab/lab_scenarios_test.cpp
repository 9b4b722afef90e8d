// Every lab scenario file (quick and full profiles) loads with the generator's own loader, and the
// scenarios the expectations refer to exist in it.
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/experiment_catalog.hpp"
#include "load/scenario_loader.hpp"

namespace loadlab::lab {
namespace {

TEST(LabScenarios, EveryFileLoadsAndNamesTheScenariosItsChecksUse) {
  const auto no_env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  for (const char* profile : {"/scenarios/lab", "/scenarios/lab/full"}) {
    for (const auto& experiment : experiment_catalog()) {
      const auto path = std::string(LOADLAB_SOURCE_DIR) + profile + "/" + experiment.scenario;
      load::LoadOptions options;
      options.env = no_env;
      const auto plan = load::load_plan_file(path, options);
      ASSERT_TRUE(plan.has_value()) << path << ": " << plan.error();
      EXPECT_FALSE(plan->scenarios.empty()) << path;
    }
  }
}

}  // namespace
}  // namespace loadlab::lab
