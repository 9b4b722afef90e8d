// Test support: read one sample out of a Prometheus text exposition.
#pragma once

#include <optional>
#include <string>

namespace loadlab::testing {

// The value of the line "series value", where `series` is the exact name and label text as the
// server writes it (e.g. `circuit_breaker_state{dependency="database"}`); nullopt when absent.
inline std::optional<double> metric_value(const std::string& exposition,
                                          const std::string& series) {
  const std::string prefix = series + " ";
  std::size_t at = 0;
  while ((at = exposition.find(prefix, at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n')
      return std::stod(exposition.substr(at + prefix.size()));
    at += prefix.size();
  }
  return std::nullopt;
}

}  // namespace loadlab::testing
