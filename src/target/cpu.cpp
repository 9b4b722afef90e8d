// CPU saturation routes and the pure computations behind them.
#include "target/cpu.hpp"

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/params.hpp"
#include "http/router.hpp"
#include "target/guarded_compute_pool.hpp"
#include "target/protection_gate.hpp"

namespace loadlab::target {

std::uint64_t naive_fibonacci(int n) noexcept {
  if (n < 2) return n < 0 ? 0 : static_cast<std::uint64_t>(n);
  return naive_fibonacci(n - 1) + naive_fibonacci(n - 2);
}

std::string sha256_chain(std::string_view seed, int iterations) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) throw std::bad_alloc();
  const EVP_MD* sha256 = EVP_sha256();
  const unsigned char* input = reinterpret_cast<const unsigned char*>(seed.data());
  std::size_t input_size = seed.size();
  for (int round = 0; round < iterations; ++round) {
    EVP_DigestInit_ex(context, sha256, nullptr);
    EVP_DigestUpdate(context, input, input_size);
    EVP_DigestFinal_ex(context, digest.data(), &length);
    input = digest.data();
    input_size = length;
  }
  EVP_MD_CTX_free(context);
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(hex_digits[digest[i] >> 4]);
    hex.push_back(hex_digits[digest[i] & 0xF]);
  }
  return hex;
}

JsonWorkSummary process_json(int records) {
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < records; ++i) {
    list.push_back({{"id", i},
                    {"name", "item-" + std::to_string(i)},
                    {"value", i * 1.5},
                    {"active", i % 2 == 0},
                    {"tags", {"load", "lab", std::to_string(i % 7)}}});
  }
  const std::string text = list.dump();
  const nlohmann::json parsed = nlohmann::json::parse(text);
  JsonWorkSummary summary;
  summary.records = static_cast<int>(parsed.size());
  summary.serialized_bytes = text.size();
  for (const auto& item : parsed) {
    summary.value_sum += item.at("value").get<double>();
    if (item.at("active").get<bool>()) ++summary.active_count;
  }
  return summary;
}

void spin_for(double milliseconds) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double, std::milli>(milliseconds));
  volatile std::uint64_t sink = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 1000; ++i) sink = sink + static_cast<std::uint64_t>(i);
  }
}

void CpuRoutes::register_routes(http::Router& router) {
  router.get("/api/cpu-intensive",
             [this](http::RequestContext& context) { return cpu_intensive(context); });
  router.get("/api/hash", [this](http::RequestContext& context) { return hash(context); });
  router.get("/api/json-processing",
             [this](http::RequestContext& context) { return json_processing(context); });
}

boost::asio::awaitable<http::Response> CpuRoutes::cpu_intensive(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto complexity = http::parse_int_param(context.query, "complexity", 30, 1, 40);
  if (!complexity) co_return http::unprocessable(complexity.error(), version);
  const int n = static_cast<int>(*complexity);
  const auto started = std::chrono::steady_clock::now();
  const auto result = co_await compute_.run([n] { return naive_fibonacci(n); }, context.deadline);
  if (!result) co_return rejection_response(result.error(), version);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  co_return http::json_response(
      http::Status::ok,
      {{"complexity", n}, {"result", *result}, {"computation_time_ms", elapsed_ms}}, version);
}

boost::asio::awaitable<http::Response> CpuRoutes::hash(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto iterations = http::parse_int_param(context.query, "iterations", 10'000, 1, 100'000);
  if (!iterations) co_return http::unprocessable(iterations.error(), version);
  const int rounds = static_cast<int>(*iterations);
  const auto started = std::chrono::steady_clock::now();
  const auto digest =
      co_await compute_.run([rounds] { return sha256_chain("loadlab", rounds); }, context.deadline);
  if (!digest) co_return rejection_response(digest.error(), version);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  co_return http::json_response(
      http::Status::ok,
      {{"iterations", rounds}, {"hash", *digest}, {"computation_time_ms", elapsed_ms}}, version);
}

boost::asio::awaitable<http::Response> CpuRoutes::json_processing(http::RequestContext& context) {
  const unsigned version = context.request.version();
  const auto size = http::parse_int_param(context.query, "size", 1'000, 1, 10'000);
  if (!size) co_return http::unprocessable(size.error(), version);
  const int records = static_cast<int>(*size);
  const auto processed =
      co_await compute_.run([records] { return process_json(records); }, context.deadline);
  if (!processed) co_return rejection_response(processed.error(), version);
  const JsonWorkSummary& summary = *processed;
  co_return http::json_response(http::Status::ok,
                                {{"size", summary.records},
                                 {"serialized_bytes", summary.serialized_bytes},
                                 {"value_sum", summary.value_sum},
                                 {"active_count", summary.active_count}},
                                version);
}

}  // namespace loadlab::target
