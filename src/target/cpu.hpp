// CPU saturation (seed 000): naive Fibonacci, chained SHA-256 and JSON round trips, run on the
// compute pool so the I/O threads stay free.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace loadlab::http {
class Router;
}

namespace loadlab::target {

class GuardedComputePool;

// Deliberately exponential: fib(n) = fib(n-1) + fib(n-2), fib(0) = 0, fib(1) = 1.
std::uint64_t naive_fibonacci(int n) noexcept;

// Hex SHA-256 applied `iterations` times, each round hashing the previous raw digest
// (the first round hashes `seed`). iterations >= 1.
std::string sha256_chain(std::string_view seed, int iterations);

struct JsonWorkSummary {
  int records = 0;
  std::size_t serialized_bytes = 0;
  double value_sum = 0;
  std::int64_t active_count = 0;
};
// Builds `records` objects, serializes them, parses the text back and aggregates it.
JsonWorkSummary process_json(int records);

// Spins the calling thread for `milliseconds` of wall time (POST /work).
void spin_for(double milliseconds);

class CpuRoutes {
 public:
  // With the `queue` protection on, work passes the bounded CoDel queue (503 when full or when it
  // waited too long) and is never started after its request's deadline (504).
  explicit CpuRoutes(GuardedComputePool& compute) : compute_(compute) {}
  void register_routes(http::Router& router);

  boost::asio::awaitable<http::Response> cpu_intensive(http::RequestContext& context);
  boost::asio::awaitable<http::Response> hash(http::RequestContext& context);
  boost::asio::awaitable<http::Response> json_processing(http::RequestContext& context);

 private:
  GuardedComputePool& compute_;
};

}  // namespace loadlab::target
