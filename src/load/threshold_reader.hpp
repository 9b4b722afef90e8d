// Reads k6's `thresholds` object ({"metric{tag:value}": ["p(95)<500", {threshold, abortOnFail,
// delayAbortEval}]}) into validated MetricThresholds; throws fields::FieldError naming the path.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "load/threshold.hpp"

namespace loadlab::load {

// Groups come out sorted by canonical selector key; keys naming the same sub-metric are merged.
// `custom_tags`: the tag names the plan's scenarios and requests declare.
std::vector<MetricThresholds> read_thresholds(const nlohmann::json& value,
                                              std::span<const std::string> custom_tags = {});

}  // namespace loadlab::load
