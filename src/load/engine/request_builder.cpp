// Request serialisation (HTTP/1.1, keep-alive) and response judgement for one RequestSpec.
#include "load/engine/request_builder.hpp"

#include <algorithm>
#include <stdexcept>

#include "load/engine/url.hpp"

namespace loadlab::load::engine {
namespace {

constexpr std::size_t kMaxBodyCapture = 1024 * 1024;

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

bool templated(const Template& value) {
  return !value.is_constant();
}

// Bytes a request-target may not carry as they are (RFC 3986 §2, RFC 9112 §3.2): controls,
// space, non-ASCII and the delimiters URLs never use raw. '%' stays: the scenario may have
// encoded already.
bool needs_percent_encoding(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  if (byte <= 0x20 || byte >= 0x7f) return true;
  switch (c) {
    case '"':
    case '<':
    case '>':
    case '\\':
    case '^':
    case '`':
    case '{':
    case '|':
    case '}':
      return true;
    default:
      return false;
  }
}

// A rendered URL with a space (`/search?q=${name}` on "Jo Ann") went out raw and split the
// request line: servers answered 400 to what the scenario meant as one request. Encoded as a
// browser or k6 would.
void append_target(std::string& out, std::string_view target) {
  const auto first = std::find_if(target.begin(), target.end(), needs_percent_encoding);
  out.append(target.begin(), first);
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  for (auto it = first; it != target.end(); ++it) {
    if (!needs_percent_encoding(*it)) {
      out += *it;
      continue;
    }
    const auto byte = static_cast<unsigned char>(*it);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0f];
  }
}

}  // namespace

RequestBuilder::RequestBuilder(const RequestSpec& spec, std::string_view base_url,
                               EndpointTable& endpoints)
    : spec_(&spec), endpoints_(&endpoints), base_url_(base_url) {
  head_ = spec.method == "HEAD";
  sends_length_ = spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH";
  for (const auto& header : spec.headers) {
    if (iequals(header.name, "user-agent")) user_agent_given_ = true;
    if (iequals(header.name, "host")) host_given_ = true;
  }
  if (!spec.expect.body_contains.empty()) body_capture_ = kMaxBodyCapture;

  // Render the URL once (with a throwaway context) to learn and resolve its host.
  Random random(1);
  TemplateContext probe{random, 0, 1, 0};
  const auto absolute = absolute_url(base_url_, spec.url.render(probe));
  if (!absolute) throw std::runtime_error("request '" + spec.name + "': " + absolute.error());
  const auto parts = split_url(*absolute);
  if (!parts) throw std::runtime_error("request '" + spec.name + "': " + parts.error());
  const auto& endpoint =
      endpoints.resolve(parts->host, parts->port, parts->https, host_header(*parts));
  if (templated(spec.url)) return;
  fixed_endpoint_ = &endpoint;
  fixed_target_ = std::string(parts->target);

  const bool any_template =
      templated(spec.body) ||
      std::any_of(spec.headers.begin(), spec.headers.end(),
                  [](const Header& header) { return templated(header.value); });
  if (any_template) return;
  fixed_ = true;
  serialise(fixed_bytes_, parts->target, endpoint, nullptr, spec.body.source());
}

void RequestBuilder::serialise(std::string& out, std::string_view target, const Endpoint& endpoint,
                               TemplateContext* context, std::string_view body) const {
  out.clear();
  out += spec_->method;
  out += ' ';
  append_target(out, target);
  out += " HTTP/1.1\r\n";
  // Two Host fields make a request invalid (RFC 9112 3.2: nginx answers 400 to each one).
  if (!host_given_) {
    out += "Host: ";
    out += endpoint.host_header;
    out += "\r\n";
  }
  if (!user_agent_given_) out += "User-Agent: loadlab/0.1\r\n";
  for (const auto& header : spec_->headers) {
    out += header.name;
    out += ": ";
    if (context != nullptr) {
      header.value.render_to(*context, out);
    } else {
      out += header.value.source();
    }
    out += "\r\n";
  }
  if (!body.empty() || sends_length_) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
}

BuiltRequest RequestBuilder::build(TemplateContext& context, RenderBuffers& buffers) const {
  if (fixed_) return {fixed_bytes_, fixed_endpoint_};
  const Endpoint* endpoint = fixed_endpoint_;
  std::string_view target = fixed_target_;
  if (endpoint == nullptr) {
    buffers.url.clear();
    if (!is_absolute_url(spec_->url.source())) {
      buffers.url = base_url_;
      while (!buffers.url.empty() && buffers.url.back() == '/') buffers.url.pop_back();
      const auto before = buffers.url.size();
      spec_->url.render_to(context, buffers.url);
      if (buffers.url.size() == before || buffers.url[before] != '/') {
        buffers.url.insert(before, 1, '/');
      }
    } else {
      spec_->url.render_to(context, buffers.url);
    }
    const auto parts = split_url(buffers.url);
    if (!parts) return {};
    // Only hosts resolved at start-up are reachable: the engine never resolves on the hot path.
    endpoint = endpoints_->find(parts->host, parts->port, parts->https);
    if (endpoint == nullptr) return {};
    target = parts->target;
  }
  buffers.body.clear();
  spec_->body.render_to(context, buffers.body);
  serialise(buffers.request, target, *endpoint, &context, buffers.body);
  return {buffers.request, endpoint};
}

ResponseVerdict RequestBuilder::judge(int status, std::string_view body) const {
  ResponseVerdict verdict;
  const auto& expect = spec_->expect;
  verdict.failed = status == 0 || !expect.status_expected(status);
  if (!expect.statuses.empty()) {
    const bool ok = status != 0 && std::find(expect.statuses.begin(), expect.statuses.end(),
                                             status) != expect.statuses.end();
    (ok ? verdict.checks_passed : verdict.checks_failed) += 1;
  }
  if (!expect.excluded_statuses.empty()) {
    const bool ok =
        status != 0 && std::find(expect.excluded_statuses.begin(), expect.excluded_statuses.end(),
                                 status) == expect.excluded_statuses.end();
    (ok ? verdict.checks_passed : verdict.checks_failed) += 1;
  }
  for (const auto& needle : expect.body_contains) {
    const bool ok = status != 0 && body.find(needle) != std::string_view::npos;
    (ok ? verdict.checks_passed : verdict.checks_failed) += 1;
  }
  return verdict;
}

}  // namespace loadlab::load::engine
