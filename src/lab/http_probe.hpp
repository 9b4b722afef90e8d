// A minimal blocking HTTP/1.1 GET for readiness checks and /metrics scrapes of lab children:
// loopback only, one deadline for the whole exchange, a cap on the response size.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/expected.hpp"

namespace loadlab::lab {

struct ProbeResponse {
  int status = 0;
  std::string body;
};

struct ProbeLimits {
  std::chrono::milliseconds deadline{1000};
  std::size_t max_bytes = 8u << 20;
};

// Errors are values ("connect: Connection refused", "deadline exceeded", ...).
core::Expected<ProbeResponse, std::string> http_get(const std::string& host, int port,
                                                    const std::string& target,
                                                    ProbeLimits limits = {},
                                                    const std::string& method = "GET",
                                                    const std::string& body = "");

// Decodes a chunked transfer-encoded body; false when it is malformed.
bool decode_chunked(const std::string& encoded, std::string& decoded);

}  // namespace loadlab::lab
