// Shard parsing and the exact split rules of `--shard i/n`.
#include "load/shard.hpp"

#include <charconv>

namespace loadlab::load {

namespace {
// 128-bit intermediates keep VU and nanosecond products exact (GCC/Clang extension).
__extension__ using Wide = __int128;
}  // namespace

std::string Shard::to_string() const {
  return std::to_string(index) + "/" + std::to_string(count);
}

core::Expected<Shard, std::string> parse_shard(std::string_view text) {
  const std::string quoted = "--shard '" + std::string(text) + "'";
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return core::unexpected(quoted + ": expected i/n, e.g. 1/4");
  }
  Shard shard;
  auto parse = [](std::string_view part, std::int64_t& out) {
    const char* end = part.data() + part.size();
    auto [ptr, ec] = std::from_chars(part.data(), end, out);
    return !part.empty() && ec == std::errc{} && ptr == end;
  };
  if (!parse(text.substr(0, slash), shard.index) || !parse(text.substr(slash + 1), shard.count)) {
    return core::unexpected(quoted + ": expected two integers i/n, e.g. 1/4");
  }
  if (shard.count < 1 || shard.count > 100000) {
    return core::unexpected(quoted + ": n must be between 1 and 100000");
  }
  if (shard.index < 1 || shard.index > shard.count) {
    return core::unexpected(quoted + ": i must be between 1 and n (shards are numbered from 1)");
  }
  return shard;
}

std::int64_t split_count(std::int64_t total, Shard shard) noexcept {
  if (total <= 0) return 0;
  const auto upto = [&](std::int64_t i) {
    return static_cast<std::int64_t>(static_cast<Wide>(total) * i / shard.count);
  };
  return upto(shard.index) - upto(shard.index - 1);
}

std::int64_t vu_share(std::int64_t total, Shard shard) noexcept {
  return interleaved_count(total, Shard{shard.count - shard.index + 1, shard.count});
}

std::int64_t global_index(std::int64_t local, Shard shard) noexcept {
  return local * shard.count + (shard.index - 1);
}

std::int64_t interleaved_count(std::int64_t global_count, Shard shard) noexcept {
  const std::int64_t offset = shard.index - 1;
  if (global_count <= offset) return 0;
  return (global_count - offset + shard.count - 1) / shard.count;
}

}  // namespace loadlab::load
