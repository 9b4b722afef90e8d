// Loads scenario files (YAML or JSON, k6 option names) into a TestPlan, and writes a plan back
// in the same form. Unknown fields and bad values are errors naming the field's path, e.g.
// "scenarios.cpu.stages[1].target: expected a non-negative integer".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "load/scenario.hpp"
#include "load/template.hpp"

namespace loadlab::load {

struct LoadOptions {
  // `${__ENV.X}` lookups go here first, then the file's `env:` block; default: the process env.
  EnvLookup env;
  // Overrides the file's baseUrl (from --target or BASE_URL); empty = keep.
  std::string base_url_override;
};

// Parses text as YAML (JSON is YAML too, but `.json` content goes through nlohmann for exact
// numbers and its error positions). origin names the file in errors.
core::Expected<TestPlan, std::string> load_plan_text(std::string_view text, std::string_view origin,
                                                     const LoadOptions& options = {});
// Reads and parses a file; errors start with the path.
core::Expected<TestPlan, std::string> load_plan_file(const std::string& path,
                                                     const LoadOptions& options = {});
// From an already parsed JSON document (used for `config` inside results).
core::Expected<TestPlan, std::string> load_plan_json(const nlohmann::json& document,
                                                     const LoadOptions& options = {});

// The plan in scenario-file form (k6 names, durations as "1m30s"); load_plan_json of it gives
// back an equal plan.
[[nodiscard]] nlohmann::json plan_to_json(const TestPlan& plan);

// The process environment lookup (getenv).
[[nodiscard]] EnvLookup process_env();

}  // namespace loadlab::load
