// Reads k6's `thresholds` object ({"metric{tag:value}": ["p(95)<500", {threshold, abortOnFail,
// delayAbortEval}]}) into validated MetricThresholds; throws fields::FieldError naming the path.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "load/threshold.hpp"

namespace loadlab::load {

// Groups come out sorted by canonical selector key; keys naming the same sub-metric are merged.
std::vector<MetricThresholds> read_thresholds(const nlohmann::json& value);

}  // namespace loadlab::load
