// The built-in metrics loadlab records (k6's names and kinds) and the tags each can be
// filtered by in sub-metrics such as `http_req_duration{scenario:cpu,status:200}`.
#pragma once

#include <span>
#include <string_view>

namespace loadlab::load {

// k6's metric types: counter (count, rate per second), gauge (value, min, max), rate (share of
// non-zero samples), trend (distribution; durations in milliseconds).
enum class MetricKind { counter, gauge, rate, trend };
[[nodiscard]] std::string_view to_string(MetricKind kind) noexcept;

struct MetricInfo {
  std::string_view name;
  MetricKind kind;
  // Tags a sub-metric may select on; empty = none.
  std::span<const std::string_view> tags;
  std::string_view description;
};

// Every metric in order of the summary.
[[nodiscard]] std::span<const MetricInfo> builtin_metrics() noexcept;
[[nodiscard]] const MetricInfo* find_metric(std::string_view name) noexcept;
// The tags loadlab itself records (scenario, name, method, status, expected_response): a
// scenario's or request's own `tags` may not reuse these names.
[[nodiscard]] bool is_builtin_tag(std::string_view tag) noexcept;

}  // namespace loadlab::load
