// Micro-benchmarks of every admission decision, admit + release, with the real steady clock.
#include <benchmark/benchmark.h>

#include "metrics/registry.hpp"
#include "protect/adaptive_limiter.hpp"
#include "protect/bulkhead.hpp"
#include "protect/circuit_breaker.hpp"
#include "protect/codel_queue.hpp"
#include "protect/deadline.hpp"
#include "protect/load_shedder.hpp"
#include "protect/memory_admission.hpp"
#include "protect/protection_set.hpp"
#include "protect/protections.hpp"
#include "protect/retry_budget.hpp"
#include "protect/retry_policy.hpp"

namespace {

using namespace loadlab;
using namespace loadlab::protect;

core::Clock& real_clock() {
  return core::SteadyClock::instance();
}

void BM_BreakerClosedAdmitAndRecord(benchmark::State& state) {
  metrics::Registry registry;
  CircuitBreaker breaker("downstream", CircuitBreakerConfig{}, real_clock(), registry);
  for (auto _ : state) {
    auto permit = breaker.try_acquire();
    breaker.on_result(*permit, CallOutcome::success, std::chrono::milliseconds{1});
    benchmark::DoNotOptimize(permit);
  }
}
BENCHMARK(BM_BreakerClosedAdmitAndRecord);

void BM_BreakerOpenReject(benchmark::State& state) {
  metrics::Registry registry;
  auto config = CircuitBreakerConfig{};
  config.open_duration = std::chrono::hours{1};
  CircuitBreaker breaker("downstream", config, real_clock(), registry);
  for (int i = 0; i < 10; ++i) {
    auto permit = breaker.try_acquire();
    breaker.on_result(*permit, CallOutcome::failure, std::chrono::milliseconds{1});
  }
  for (auto _ : state) benchmark::DoNotOptimize(breaker.try_acquire());
}
BENCHMARK(BM_BreakerOpenReject);

void BM_ShedderAdmitAndRelease(benchmark::State& state) {
  metrics::Registry registry;
  LoadShedder shedder(LoadShedderConfig{}, registry);
  for (auto _ : state) benchmark::DoNotOptimize(shedder.try_acquire(Priority::normal));
}
BENCHMARK(BM_ShedderAdmitAndRelease)->Threads(1)->Threads(2);

void BM_ShedderReject(benchmark::State& state) {
  metrics::Registry registry;
  LoadShedderConfig config;
  config.limit = 1;
  LoadShedder shedder(config, registry);
  auto held = shedder.try_acquire(Priority::high);
  for (auto _ : state) benchmark::DoNotOptimize(shedder.try_acquire(Priority::low));
}
BENCHMARK(BM_ShedderReject);

void BM_AdaptiveAdmitAndComplete(benchmark::State& state) {
  metrics::Registry registry;
  AdaptiveLimiter limiter(AdaptiveLimiterConfig{}, real_clock(), registry);
  for (auto _ : state) {
    auto permit = limiter.try_acquire();
    if (permit) permit->complete(CallOutcome::success);
    benchmark::DoNotOptimize(permit);
  }
}
BENCHMARK(BM_AdaptiveAdmitAndComplete);

void BM_BulkheadAdmitAndRelease(benchmark::State& state) {
  metrics::Registry registry;
  Bulkhead bulkhead("downstream", BulkheadConfig{}, registry);
  for (auto _ : state) benchmark::DoNotOptimize(bulkhead.try_acquire());
}
BENCHMARK(BM_BulkheadAdmitAndRelease);

void BM_CodelEnqueueAndDequeue(benchmark::State& state) {
  metrics::Registry registry;
  CodelQueue queue("compute", CodelQueueConfig{}, real_clock(), registry);
  for (auto _ : state) {
    auto ticket = queue.try_enqueue();
    benchmark::DoNotOptimize(queue.on_dequeue(*ticket));
  }
}
BENCHMARK(BM_CodelEnqueueAndDequeue);

void BM_MemoryReserveAndRelease(benchmark::State& state) {
  metrics::Registry registry;
  MemoryAdmission admission(MemoryAdmissionConfig{}, registry);
  for (auto _ : state) benchmark::DoNotOptimize(admission.try_reserve(1 << 20));
}
BENCHMARK(BM_MemoryReserveAndRelease);

void BM_RetryBudgetCallAndSpend(benchmark::State& state) {
  metrics::Registry registry;
  RetryBudget budget("downstream", RetryBudgetConfig{}, real_clock(), registry);
  for (auto _ : state) {
    budget.on_call();
    benchmark::DoNotOptimize(budget.try_spend());
  }
}
BENCHMARK(BM_RetryBudgetCallAndSpend);

void BM_RetryPolicyNextDelay(benchmark::State& state) {
  double unit = 0.0;
  const RetryPolicy policy(RetryConfig{}, [&unit] { return unit = unit > 0.9 ? 0.0 : unit + 0.1; });
  const auto now = real_clock().now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        policy.next_delay(2, std::nullopt, now, now + std::chrono::seconds{30}));
  }
}
BENCHMARK(BM_RetryPolicyNextDelay);

void BM_DeadlineFromHeader(benchmark::State& state) {
  const DeadlineConfig config;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        request_deadline(real_clock().now(), std::string_view{"1500"}, config));
  }
}
BENCHMARK(BM_DeadlineFromHeader);

void BM_ProtectionSwitchRead(benchmark::State& state) {
  ProtectionSet set(ProtectionSettings{ProtectionMask::all(), {}});
  for (auto _ : state) benchmark::DoNotOptimize(set.enabled(Protection::shed));
}
BENCHMARK(BM_ProtectionSwitchRead);

// What a request pays at the door with the protected profile: shedder + adaptive limiter.
void BM_ProtectedRequestAdmission(benchmark::State& state) {
  metrics::Registry registry;
  Protections protections(ProtectionSettings{ProtectionMask::all(), {}}, real_clock(), registry);
  for (auto _ : state) {
    auto admission = protections.admit_request(Priority::normal);
    if (admission) admission->complete(CallOutcome::success);
    benchmark::DoNotOptimize(admission);
  }
}
BENCHMARK(BM_ProtectedRequestAdmission);

// What one downstream attempt pays with the protected profile: breaker + bulkhead + result.
void BM_ProtectedDependencyAttempt(benchmark::State& state) {
  metrics::Registry registry;
  Protections protections(ProtectionSettings{ProtectionMask::all(), {}}, real_clock(), registry);
  auto& downstream = protections.dependency("downstream");
  for (auto _ : state) {
    auto attempt = downstream.begin_attempt();
    attempt->finish(CallOutcome::success);
    benchmark::DoNotOptimize(attempt);
  }
}
BENCHMARK(BM_ProtectedDependencyAttempt);

}  // namespace

BENCHMARK_MAIN();
