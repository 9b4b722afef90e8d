// `loadlab run` over https against Debian's nginx with a fresh self-signed certificate whose only
// name is localhost: verified when the client trusts it (SSL_CERT_FILE), refused when it does not
// or when the name does not match, and accepted unverified with --insecure-skip-tls-verify.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "load_fixtures.hpp"

namespace loadlab::testing {
namespace {

using namespace std::chrono_literals;

class RunOverHttps : public ::testing::Test {
 protected:
  void SetUp() override {
    nginx_ = Nginx::start(/*tls=*/true);
    if (!nginx_) GTEST_SKIP() << "nginx is not installed";
  }
  LoadlabOutcome run(const std::string& url, std::vector<std::string> extra_args,
                     std::vector<std::string> env) {
    const auto json = dir_.file("run.json");
    std::vector<std::string> args{"run", url,  "-c",        "2",  "-d",    "1s",          "-t",
                                  "1",   "-q", "--timeout", "5s", "--out", "json=" + json};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return run_loadlab(args, json, 60s, env);
  }
  [[nodiscard]] std::string trust() const { return "SSL_CERT_FILE=" + nginx_->certificate(); }

  TempDir dir_;
  std::unique_ptr<Nginx> nginx_;
};

TEST_F(RunOverHttps, ATrustedCertificateForTheHostGivesAnswersOnKeptAliveConnections) {
  const auto outcome = run(nginx_->url(), {}, {trust()});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const double requests = summary_value(outcome.result, "http_reqs", "count");
  EXPECT_GT(requests, 50);
  EXPECT_EQ(summary_value(outcome.result, "http_req_failed", "rate"), 0) << outcome.output;
  // Two connections, each handshaken once and then kept alive; the handshake is its own phase.
  EXPECT_LE(summary_value(outcome.result, "http_req_connecting", "count"), 4);
  const double handshakes = summary_value(outcome.result, "http_req_tls_handshaking", "count");
  EXPECT_GE(handshakes, 1);
  EXPECT_LE(handshakes, 4);
  EXPECT_GT(summary_value(outcome.result, "http_req_tls_handshaking", "max"), 0);
}

TEST_F(RunOverHttps, AnUntrustedCertificateFailsEveryRequestWithoutStoppingTheRun) {
  const auto outcome =
      run(nginx_->url(), {}, {"SSL_CERT_FILE=/dev/null", "SSL_CERT_DIR=/dev/null"});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_GT(summary_value(outcome.result, "http_reqs", "count"), 0);
  EXPECT_EQ(summary_value(outcome.result, "http_req_failed", "rate"), 1);
  EXPECT_EQ(summary_value(outcome.result, "http_reqs{error_code:1300}", "count"),
            summary_value(outcome.result, "http_reqs", "count"));
  // No response at all (status 0), and so no data received beyond nothing.
  EXPECT_EQ(summary_value(outcome.result, "data_received", "count"), 0);
}

TEST_F(RunOverHttps, ATrustedCertificateForAnotherNameIsRefused) {
  // The certificate names localhost only; 127.0.0.1 is the same server under another name.
  const auto url = "https://127.0.0.1:" + std::to_string(nginx_->port()) + "/";
  const auto outcome = run(url, {}, {trust()});
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(summary_value(outcome.result, "http_req_failed", "rate"), 1);
}

TEST_F(RunOverHttps, InsecureSkipTlsVerifyAcceptsAnyCertificate) {
  const auto url = "https://127.0.0.1:" + std::to_string(nginx_->port()) + "/";
  const auto flag = run(url, {"--insecure-skip-tls-verify"}, {"SSL_CERT_FILE=/dev/null"});
  ASSERT_EQ(flag.exit_code, 0) << flag.output;
  EXPECT_EQ(summary_value(flag.result, "http_req_failed", "rate"), 0);
  EXPECT_GT(summary_value(flag.result, "http_reqs", "count"), 50);

  // The same from a scenario file's k6 option.
  const auto path = dir_.file("insecure.yaml");
  std::ofstream(path) << "insecureSkipTLSVerify: true\n"
                         "scenarios:\n  main:\n    executor: constant-vus\n    vus: 1\n"
                         "    duration: 1s\n    requests:\n      - url: "
                      << url << "\n";
  const auto json = dir_.file("file.json");
  const auto file = run_loadlab({"run", path, "-q", "--out", "json=" + json}, json, 60s,
                                {"SSL_CERT_FILE=/dev/null"});
  ASSERT_EQ(file.exit_code, 0) << file.output;
  EXPECT_EQ(summary_value(file.result, "http_req_failed", "rate"), 0);
}

}  // namespace
}  // namespace loadlab::testing
