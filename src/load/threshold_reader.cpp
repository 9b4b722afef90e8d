// Reading the `thresholds` block of a scenario file.
#include "load/threshold_reader.hpp"

#include <algorithm>

#include "load/field_reader.hpp"

namespace loadlab::load {

using Json = nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

std::vector<MetricThresholds> read_thresholds(const Json& value,
                                              std::span<const std::string> custom_tags) {
  if (!value.is_object())
    fail("thresholds", "expected a mapping of metric names to lists of expressions");
  std::vector<MetricThresholds> out;
  for (const auto& [metric, list] : value.items()) {
    const std::string path = "thresholds." + metric;
    auto selector = MetricSelector::parse(metric, custom_tags);
    if (!selector) fail(path, selector.error());
    MetricThresholds group{*selector, {}};
    const Json items = list.is_array() ? list : Json::array({list});
    if (items.empty()) fail(path, "expected at least one threshold");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      const Json& item = items[i];
      std::string expression;
      bool abort = false;
      core::Duration delay{0};
      if (item.is_string()) {
        expression = item.get<std::string>();
      } else if (item.is_object()) {
        check_keys(item, item_path, {"threshold", "abortOnFail", "delayAbortEval"});
        if (!item.contains("threshold")) fail(sub(item_path, "threshold"), "missing");
        expression = as_string(item.at("threshold"), sub(item_path, "threshold"));
        if (item.contains("abortOnFail"))
          abort = as_bool(item.at("abortOnFail"), sub(item_path, "abortOnFail"));
        if (item.contains("delayAbortEval"))
          delay = as_duration(item.at("delayAbortEval"), sub(item_path, "delayAbortEval"));
      } else {
        fail(item_path,
             "expected an expression such as \"p(95)<500\" or {threshold, abortOnFail, "
             "delayAbortEval}");
      }
      auto threshold = Threshold::parse(expression);
      if (!threshold) fail(item_path, threshold.error());
      threshold->abort_on_fail = abort;
      threshold->delay_abort_eval = delay;
      if (auto ok = check_applicable(*selector, *threshold); !ok) fail(item_path, ok.error());
      group.thresholds.push_back(std::move(*threshold));
    }
    // Keys spelled differently may name the same sub-metric ({a:1,b:2} and {b:2, a:1}).
    auto same = std::find_if(out.begin(), out.end(), [&](const MetricThresholds& g) {
      return g.selector == group.selector;
    });
    if (same != out.end()) {
      same->thresholds.insert(same->thresholds.end(), group.thresholds.begin(),
                              group.thresholds.end());
    } else {
      out.push_back(std::move(group));
    }
  }
  // Canonical order, so that a plan and its written form list thresholds alike.
  std::stable_sort(out.begin(), out.end(),
                   [](const MetricThresholds& a, const MetricThresholds& b) {
                     return a.selector.key() < b.selector.key();
                   });
  return out;
}

}  // namespace loadlab::load
