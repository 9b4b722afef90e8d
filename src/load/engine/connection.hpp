// One client connection of the load generator: connect (with its own deadline), write the
// request, read and parse the response, keep the socket alive for the next one, reconnect after
// a close or an error. Callback-driven on the worker's single-threaded io_context; exactly one
// socket operation is pending while an exchange runs, none between exchanges. Deadlines are
// enforced by the worker's sweep (expire_if_due), woken by its DeadlineAlarm, not by a timer per
// request.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.hpp"
#include "http/readiness_poller.hpp"
#include "load/engine/deadline_alarm.hpp"
#include "load/engine/endpoints.hpp"
#include "load/engine/response_parser.hpp"
#include "load/request_error.hpp"

namespace loadlab::load::engine {

// Why an exchange ended without a usable response (load/request_error.hpp: words, k6 codes).
using ExchangeError = RequestError;

// What an exchange measured. Phases follow k6: connecting (when a connection was opened),
// sending, waiting (to the first byte) and receiving; duration = sending+waiting+receiving.
struct ExchangeReport {
  ExchangeError error = ExchangeError::none;
  int status = 0;
  core::TimePoint started;     // when the exchange began (connect or send)
  core::TimePoint send_start;  // when the request's first byte went out (or would have)
  core::TimePoint end;
  core::Duration connecting{-1};       // TCP connect
  core::Duration tls_handshaking{-1};  // https, new connections
  core::Duration sending{0};
  core::Duration waiting{0};
  core::Duration receiving{0};
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;
};

class ExchangeObserver {
 public:
  // Called once per exchange, from the worker's thread; the parser holds status and body.
  virtual void on_exchange_done(const ExchangeReport& report, const ResponseParser& parser) = 0;

 protected:
  ~ExchangeObserver() = default;
};

// A worker's client TLS context, made on first use: most runs are plain http, and loading the
// trusted certificates costs tens of milliseconds per worker.
class LazyTlsContext {
 public:
  explicit LazyTlsContext(bool verify) : verify_(verify) {}
  // nullptr when OpenSSL cannot make a context (the handshake then fails as a request error).
  [[nodiscard]] boost::asio::ssl::context* get() noexcept;

 private:
  bool verify_;
  std::optional<boost::asio::ssl::context> context_;
};

// What every connection of a worker shares.
struct ConnectionContext {
  boost::asio::io_context& io;
  core::Clock& clock;
  std::span<char> scratch;  // synchronous follow-up reads (never held across a wait)
  core::Duration connect_timeout;
  std::size_t max_header_bytes;
  LazyTlsContext* tls = nullptr;  // for https endpoints
  // When set, plain-http sockets leave Asio's reactor once connected and are watched here.
  http::ReadinessPoller* poller = nullptr;
  // When set, told of every connect and request deadline, so the sweep runs when one passes.
  DeadlineAlarm* deadlines = nullptr;
};

// The client TLS settings of a worker: TLS 1.2 or later, the system's trusted certificates
// (OpenSSL's default paths, so SSL_CERT_FILE and SSL_CERT_DIR apply), and the peer verified
// unless `verify` is false (k6's insecureSkipTLSVerify).
[[nodiscard]] boost::asio::ssl::context make_client_tls_context(bool verify);

struct ExchangeRequest {
  const Endpoint* endpoint = nullptr;
  std::string_view bytes;  // valid until the report
  bool head = false;
  std::size_t body_capture = 0;
  core::TimePoint deadline;
};

class Connection final : private http::ReadinessPoller::Watcher {
 public:
  Connection(ConnectionContext& context, ExchangeObserver& observer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // now: the exchange's start, read by the caller just before (which also sets the deadline
  // and, for an iteration's first request, the iteration's start from it).
  void start(const ExchangeRequest& request, core::TimePoint now);
  // Ends the running exchange as a timeout when now is past its deadline.
  void expire_if_due(core::TimePoint now);
  // When the running exchange would time out (nullopt: none running, or already ending).
  [[nodiscard]] std::optional<core::TimePoint> pending_deadline() const noexcept;
  // Ends the running exchange (reported as interrupted) and closes the socket.
  void interrupt();
  // Closes an idle socket (no report).
  void close() noexcept;
  [[nodiscard]] bool busy() const noexcept { return state_ != State::idle; }
  [[nodiscard]] bool open() const noexcept { return socket_.is_open() || polled_.is_open(); }

 private:
  enum class State : std::uint8_t { idle, connecting, writing, reading };

  void connect();
  void on_connected(const boost::system::error_code& ec);
  void start_tls(core::TimePoint now);
  void on_tls_handshake(const boost::system::error_code& ec);
  void on_connection_ready(core::TimePoint now);
  // Moves a connected plain-http socket from Asio's reactor to the poller; false on failure.
  bool hand_to_poller();
  void on_ready(std::uint32_t events) override;
  // One non-blocking send or recv on whichever handle the socket has now.
  std::size_t send_some(const char* data, std::size_t size, boost::system::error_code& ec);
  std::size_t receive_some(char* data, std::size_t size, boost::system::error_code& ec);
  void receive_polled();
  void write_tls();
  void write();
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Feeds bytes to the parser; true when the exchange ended (reported).
  bool consume(const char* data, std::size_t size, core::TimePoint now);
  bool retry_on_fresh_connection();
  void abort_pending(ExchangeError reason);
  void finish(ExchangeError error, core::TimePoint now);

  ConnectionContext& context_;
  ExchangeObserver& observer_;
  boost::asio::ip::tcp::socket socket_;
  // https: TLS over socket_. Plain http keeps the synchronous-write fast path; https goes through
  // Asio's SSL stream with asynchronous writes and reads.
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;
  std::unique_ptr<TlsStream> tls_;
  // The previous connection's stream, kept until the next connect: it may be closed from inside
  // its own operation's completion handler, where destroying it is not safe.
  std::unique_ptr<TlsStream> retired_tls_;
  // Plain http with a poller: the socket after it left socket_ (closed otherwise), and what the
  // connection waits for.
  enum class Awaiting : std::uint8_t { nothing, readable, writable };
  http::ReadinessPoller::Socket polled_;
  Awaiting awaiting_ = Awaiting::nothing;
  const Endpoint* connected_to_ = nullptr;
  ResponseParser parser_;
  ExchangeRequest request_;
  ExchangeReport report_;
  State state_ = State::idle;
  ExchangeError pending_abort_ = ExchangeError::none;  // set before closing a pending operation
  bool reused_ = false;   // this exchange runs on a connection that served earlier ones
  bool retried_ = false;  // already resent once after a stale keep-alive close
  bool first_byte_seen_ = false;
  std::size_t written_ = 0;
  core::TimePoint connect_deadline_;
  core::TimePoint tls_started_;
  core::TimePoint first_byte_at_;
  // Small on purpose: 10,000 connections must fit in tens of MB. Larger responses continue
  // through the worker's scratch buffer with synchronous non-blocking reads.
  std::array<char, 1024> inbox_{};
};

}  // namespace loadlab::load::engine
