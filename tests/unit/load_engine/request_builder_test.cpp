// Request serialisation (fixed and templated) and response judgement.
#include "load/engine/request_builder.hpp"

#include <gtest/gtest.h>

namespace loadlab::load::engine {
namespace {

Template compiled(const std::string& source) {
  auto result = Template::compile(source, [](std::string_view) { return std::nullopt; });
  EXPECT_TRUE(result) << source;
  return std::move(result).value();
}

TEST(RequestBuilder, SerialisesAFixedRequestOnce) {
  RequestSpec spec;
  spec.name = "create";
  spec.method = "POST";
  spec.url = Template::literal("/items?x=1");
  spec.headers.push_back({"Content-Type", Template::literal("application/json")});
  spec.body = Template::literal("{\"a\":1}");
  EndpointTable endpoints;
  const RequestBuilder builder(spec, "http://127.0.0.1:8123", endpoints);
  Random random;
  TemplateContext context{random, 0, 1, 0};
  RenderBuffers buffers;
  const auto built = builder.build(context, buffers);
  ASSERT_NE(built.endpoint, nullptr);
  EXPECT_EQ(built.endpoint->address.port(), 8123);
  EXPECT_EQ(built.bytes,
            "POST /items?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8123\r\nUser-Agent: loadlab/0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  EXPECT_TRUE(buffers.request.empty());  // fixed bytes are not re-rendered
}

TEST(RequestBuilder, RendersTemplatesPerRequest) {
  RequestSpec spec;
  spec.name = "user";
  spec.url = compiled("http://127.0.0.1:8123/users/${seq}");
  spec.headers.push_back({"X-Vu", compiled("${vu}")});
  EndpointTable endpoints;
  const RequestBuilder builder(spec, "", endpoints);
  Random random;
  RenderBuffers buffers;
  TemplateContext first{random, 7, 3, 0};
  EXPECT_EQ(builder.build(first, buffers).bytes,
            "GET /users/7 HTTP/1.1\r\nHost: 127.0.0.1:8123\r\nUser-Agent: loadlab/0.1\r\n"
            "X-Vu: 3\r\n\r\n");
  TemplateContext second{random, 8, 3, 1};
  EXPECT_NE(builder.build(second, buffers).bytes.find("GET /users/8 "), std::string_view::npos);
}

TEST(RequestBuilder, BytesATargetMayNotCarryArePercentEncoded) {
  // A space went out raw and split the request line (servers answer 400).
  RequestSpec fixed;
  fixed.url = compiled("http://127.0.0.1:8123/a b?q=\"x\"|é&ok=%41#frag");
  EndpointTable endpoints;
  const RequestBuilder fixed_builder(fixed, "", endpoints);
  Random random;
  RenderBuffers buffers;
  TemplateContext context{random, 7, 3, 0};
  EXPECT_EQ(fixed_builder.build(context, buffers).bytes.substr(0, 45),
            "GET /a%20b?q=%22x%22%7C%C3%A9&ok=%41 HTTP/1.1");
  RequestSpec templated;
  templated.url = compiled("http://127.0.0.1:8123/search?q=Jo Ann&n=${seq}");
  const RequestBuilder templated_builder(templated, "", endpoints);
  EXPECT_EQ(templated_builder.build(context, buffers).bytes.substr(0, 39),
            "GET /search?q=Jo%20Ann&n=7 HTTP/1.1\r\nHo");
}

TEST(RequestBuilder, AGivenHostHeaderReplacesTheUrlsHost) {
  RequestSpec spec;
  spec.name = "vhost";
  spec.url = Template::literal("http://127.0.0.1:8123/");
  spec.headers.push_back({"host", Template::literal("example.com")});
  EndpointTable endpoints;
  const RequestBuilder builder(spec, "", endpoints);
  Random random;
  TemplateContext context{random, 0, 1, 0};
  RenderBuffers buffers;
  const auto built = builder.build(context, buffers);
  ASSERT_NE(built.endpoint, nullptr);
  EXPECT_EQ(built.endpoint->address.port(), 8123);  // still sent to the URL's address
  EXPECT_EQ(built.bytes, "GET / HTTP/1.1\r\nUser-Agent: loadlab/0.1\r\nhost: example.com\r\n\r\n");
}

TEST(RequestBuilder, HttpsIsATlsEndpointAndARelativeUrlNeedsABase) {
  RequestSpec spec;
  spec.name = "x";
  spec.url = Template::literal("https://127.0.0.1/");
  EndpointTable endpoints;
  const RequestBuilder builder(spec, "", endpoints);
  const Endpoint* tls = endpoints.find("127.0.0.1", 443, true);
  ASSERT_NE(tls, nullptr);
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->host_header, "127.0.0.1");  // the default port is not written
  EXPECT_EQ(endpoints.find("127.0.0.1", 443, false), nullptr);
  spec.url = Template::literal("/relative");
  EXPECT_THROW(RequestBuilder(spec, "", endpoints), std::runtime_error);
}

TEST(RequestBuilder, JudgesStatusesAndBodyChecks) {
  RequestSpec spec;
  spec.name = "x";
  spec.url = Template::literal("http://127.0.0.1:1/");
  spec.expect.statuses = {200};
  spec.expect.body_contains = {"ok"};
  EndpointTable endpoints;
  const RequestBuilder builder(spec, "", endpoints);
  EXPECT_GT(builder.body_capture(), 0u);
  const auto good = builder.judge(200, "all ok");
  EXPECT_FALSE(good.failed);
  EXPECT_EQ(good.checks_passed, 2);
  const auto bad = builder.judge(500, "error");
  EXPECT_TRUE(bad.failed);
  EXPECT_EQ(bad.checks_failed, 2);
  const auto none = builder.judge(0, "");
  EXPECT_TRUE(none.failed);
}

}  // namespace
}  // namespace loadlab::load::engine
