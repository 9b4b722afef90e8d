// `--shard i/n`: deterministic slices of a run's rate, VUs and iterations whose sum over
// i = 1..n is exactly the whole (so n merged shard results equal one run).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace loadlab::load {

// Shard `index` (1-based) of `count`; {1, 1} is the whole run.
struct Shard {
  std::int64_t index = 1;
  std::int64_t count = 1;
  [[nodiscard]] bool whole() const noexcept { return count == 1; }
  [[nodiscard]] std::string to_string() const;  // "i/n"
  friend bool operator==(const Shard&, const Shard&) = default;
};

// Parses "i/n" with 1 <= i <= n <= 100000; errors say what is wrong ("--shard 3/2: ...").
core::Expected<Shard, std::string> parse_shard(std::string_view text);

// This shard's part of an integral amount (VUs, iterations): floor(total*i/n) -
// floor(total*(i-1)/n). Parts differ by at most one and add up to total exactly.
[[nodiscard]] std::int64_t split_count(std::int64_t total, Shard shard) noexcept;

// VUs are dealt round-robin from the last shard backwards: the scenario's VU g (0-based, in the
// order VUs are added) is shard n - (g mod n)'s. Round-robin, so a shard's share of a ramping
// target only grows with it (a ramp adds VUs at the end) and, with WorkerPlacement::vu_id, every
// VU has a distinct number 1..N; backwards, so that as with split_count the first shard (and the
// first worker thread, which also supervises the run) gets the smaller share.
// This shard's VUs among the scenario's first `total` (parts differ by at most one).
[[nodiscard]] std::int64_t vu_share(std::int64_t total, Shard shard) noexcept;

// Arrival-rate iterations are dealt round-robin: global iteration g belongs to shard
// (g mod n) + 1. These convert between a shard's local index and the global one.
[[nodiscard]] std::int64_t global_index(std::int64_t local, Shard shard) noexcept;
// How many of the global iterations 0 .. global_count-1 belong to this shard.
[[nodiscard]] std::int64_t interleaved_count(std::int64_t global_count, Shard shard) noexcept;

}  // namespace loadlab::load
