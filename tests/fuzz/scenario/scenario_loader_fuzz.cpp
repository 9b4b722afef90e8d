// libFuzzer: any bytes given to the scenario loader give a plan or an error message, never a
// crash or hang; a loaded plan survives its own JSON form unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "load/scenario_loader.hpp"
#include "load/threshold.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  loadlab::load::LoadOptions options;
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "BASE_URL") return std::string("http://127.0.0.1:8000");
    return std::nullopt;
  };
  auto plan = loadlab::load::load_plan_text(text, "fuzz", options);
  if (plan) {
    auto again = loadlab::load::load_plan_json(loadlab::load::plan_to_json(*plan), options);
    if (!again || !(*again == *plan)) __builtin_trap();
  } else if (plan.error().empty()) {
    __builtin_trap();  // every rejection says why
  }
  (void)loadlab::load::Threshold::parse(text.substr(0, 256));
  (void)loadlab::load::MetricSelector::parse(text.substr(0, 256));
  return 0;
}
