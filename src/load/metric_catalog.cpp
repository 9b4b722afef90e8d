// The table of built-in metrics.
#include "load/metric_catalog.hpp"

#include <algorithm>
#include <array>

namespace loadlab::load {

namespace {
constexpr std::array<std::string_view, 6> kRequestTags{
    "error_code", "expected_response", "method", "name", "scenario", "status",
};
constexpr std::array<std::string_view, 1> kScenarioTags{"scenario"};
constexpr std::array<std::string_view, 3> kCheckTags{"method", "name", "scenario"};

constexpr std::array<MetricInfo, 18> kMetrics{{
    {"checks", MetricKind::rate, kCheckTags, "share of passed checks (status, body)"},
    {"data_received", MetricKind::counter, kRequestTags, "bytes received"},
    {"data_sent", MetricKind::counter, kRequestTags, "bytes sent"},
    {"dropped_iterations", MetricKind::counter, kScenarioTags,
     "arrival-rate iterations not started for want of a free VU"},
    {"http_req_connecting", MetricKind::trend, {}, "TCP connect time of new connections"},
    {"http_req_duration", MetricKind::trend, kRequestTags, "first byte sent to last byte received"},
    {"http_req_failed", MetricKind::rate, kRequestTags, "share of responses not expected"},
    {"http_req_latency", MetricKind::trend, kRequestTags,
     "intended start to last byte received (coordinated-omission corrected)"},
    {"http_req_receiving", MetricKind::trend, {}, "first to last response byte"},
    {"http_req_sending", MetricKind::trend, {}, "writing the request"},
    {"http_req_tls_handshaking", MetricKind::trend, {}, "TLS handshake of new https connections"},
    {"http_req_waiting", MetricKind::trend, {}, "request written to first response byte"},
    {"http_reqs", MetricKind::counter, kRequestTags, "HTTP requests completed"},
    {"iteration_duration", MetricKind::trend, kScenarioTags, "one full iteration"},
    {"iterations", MetricKind::counter, kScenarioTags, "iterations completed"},
    {"iterations_interrupted", MetricKind::counter, kScenarioTags,
     "iterations cut by gracefulStop, gracefulRampDown or an abort"},
    {"vus", MetricKind::gauge, {}, "active VUs"},
    {"vus_max", MetricKind::gauge, {}, "allocated VUs"},
}};
}  // namespace

std::string_view to_string(MetricKind kind) noexcept {
  switch (kind) {
    case MetricKind::counter:
      return "counter";
    case MetricKind::gauge:
      return "gauge";
    case MetricKind::rate:
      return "rate";
    case MetricKind::trend:
      return "trend";
  }
  return "unknown";
}

std::span<const MetricInfo> builtin_metrics() noexcept {
  return kMetrics;
}

const MetricInfo* find_metric(std::string_view name) noexcept {
  for (const auto& metric : kMetrics) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

bool is_builtin_tag(std::string_view tag) noexcept {
  return std::find(kRequestTags.begin(), kRequestTags.end(), tag) != kRequestTags.end();
}

}  // namespace loadlab::load
