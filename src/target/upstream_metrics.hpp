// The outbound-call series of SPEC §2.4: upstream_requests_total{result} and
// upstream_request_duration_seconds{result}, plus the protection series that must exist (at 0)
// before the protections are wired in.
#pragma once

#include <string>
#include <string_view>

namespace loadlab::metrics {
class Registry;
class Counter;
class Histogram;
template <class Metric>
class Family;
}  // namespace loadlab::metrics

namespace loadlab::target {

enum class UpstreamResult { ok, error, timeout, breaker_open, shed };
std::string_view to_string(UpstreamResult result) noexcept;

class UpstreamMetrics {
 public:
  UpstreamMetrics(metrics::Registry& registry, std::string dependency);
  void record(UpstreamResult result, double seconds) noexcept;
  [[nodiscard]] double count(UpstreamResult result) const noexcept;
  [[nodiscard]] const std::string& dependency() const noexcept { return dependency_; }

 private:
  static constexpr int result_count = 5;
  std::string dependency_;
  metrics::Counter* requests_[result_count]{};
  metrics::Histogram* durations_[result_count]{};
};

}  // namespace loadlab::target
