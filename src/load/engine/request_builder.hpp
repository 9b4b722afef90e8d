// Turns one RequestSpec into request bytes: serialised once when nothing in it is templated,
// otherwise rendered per request into the VU's reused buffers (no allocation once warm).
// Also judges a response against the spec's expectations (http_req_failed and checks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "load/engine/endpoints.hpp"
#include "load/scenario.hpp"
#include "load/template.hpp"

namespace loadlab::load::engine {

// Reused per-VU storage for rendered requests.
struct RenderBuffers {
  std::string request;
  std::string url;
  std::string body;
};

struct BuiltRequest {
  std::string_view bytes;              // empty when the request could not be built
  const Endpoint* endpoint = nullptr;  // nullptr when the rendered host was never resolved
};

struct ResponseVerdict {
  bool failed = false;  // not an expected status (http_req_failed)
  int checks_passed = 0;
  int checks_failed = 0;
};

class RequestBuilder {
 public:
  // Resolves the request's host now; throws std::runtime_error (naming the request) when the
  // URL is invalid, https, or the host does not resolve.
  RequestBuilder(const RequestSpec& spec, std::string_view base_url, EndpointTable& endpoints);

  [[nodiscard]] BuiltRequest build(TemplateContext& context, RenderBuffers& buffers) const;

  [[nodiscard]] const RequestSpec& spec() const noexcept { return *spec_; }
  [[nodiscard]] bool head() const noexcept { return head_; }
  [[nodiscard]] core::Duration timeout() const noexcept { return spec_->timeout; }
  // Body bytes a response must keep for the checks (0 when no check reads the body).
  [[nodiscard]] std::size_t body_capture() const noexcept { return body_capture_; }

  [[nodiscard]] ResponseVerdict judge(int status, std::string_view body) const;

 private:
  void serialise(std::string& out, std::string_view target, const Endpoint& endpoint,
                 TemplateContext* context, std::string_view body) const;

  const RequestSpec* spec_;
  const EndpointTable* endpoints_;
  std::string base_url_;
  bool head_ = false;
  bool sends_length_ = false;  // Content-Length even when the body is empty (POST, PUT, PATCH)
  bool user_agent_given_ = false;
  bool host_given_ = false;  // the spec's Host header replaces the one from the URL (as k6, wrk)
  std::size_t body_capture_ = 0;
  const Endpoint* fixed_endpoint_ = nullptr;  // when the URL is not templated
  std::string fixed_target_;                  // its path and query
  std::string fixed_bytes_;                   // when nothing is templated
  bool fixed_ = false;
};

}  // namespace loadlab::load::engine
