// Templated request values: `${randInt(25,34)}`, `${seq}`, `${uuid}`, `${vu}`, `${iter}`,
// `${__ENV.NAME}` (with an optional default: `${__ENV.NAME:-fallback}`); `$$` is a literal `$`.
// Compiled once at load time, rendered per request without parsing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "load/random.hpp"

namespace loadlab::load {

// What a rendering may depend on; supplied by the engine for every request.
struct TemplateContext {
  Random& random;
  std::uint64_t sequence = 0;  // `${seq}`: the engine makes it unique per run (per worker stride)
  std::int64_t vu = 0;         // `${vu}` / `${__VU}`: 1-based VU id within its scenario
  std::int64_t iteration = 0;  // `${iter}` / `${__ITER}`: 0-based iteration of that VU
};

// Looks up environment variables for `${__ENV.X}`; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

class Template {
 public:
  Template() = default;

  // Parses source; env variables are substituted now (their values do not change during a run).
  // Errors name the placeholder: "unknown placeholder '${foo}'", "randInt needs two integers
  // low <= high", "environment variable 'X' is not set", "unterminated '${'".
  static core::Expected<Template, std::string> compile(std::string_view source,
                                                       const EnvLookup& env);
  // A template that renders text verbatim.
  static Template literal(std::string text);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] bool empty() const noexcept { return source_.empty(); }
  // True when rendering needs no context (the engine may cache the rendered text).
  [[nodiscard]] bool is_constant() const noexcept { return constant_; }

  // Appends the rendered text to out.
  void render_to(TemplateContext& context, std::string& out) const;
  [[nodiscard]] std::string render(TemplateContext& context) const;

  // Two templates are equal when their sources are (env values are not compared).
  friend bool operator==(const Template& a, const Template& b) noexcept {
    return a.source_ == b.source_;
  }

 private:
  enum class PartKind { literal, rand_int, seq, uuid, vu, iter };
  struct Part {
    PartKind kind = PartKind::literal;
    std::string text;                // literal
    std::int64_t low = 0, high = 0;  // rand_int
  };

  std::string source_;
  std::vector<Part> parts_;
  bool constant_ = true;
};

}  // namespace loadlab::load
