// Client connection state machine: connect (-> TLS handshake for https) -> write (synchronous,
// non-blocking) -> read (wait for readiness, read into the connection's small inbox, then
// synchronous reads while data keeps coming) -> report. Writes rarely block for small requests.
// Connected plain-http sockets are watched by the worker's ReadinessPoller, so an exchange costs
// one send and one recv (epoll), or one send and a share of io_uring_enter (io_uring). https goes
// through Asio's SSL stream with asynchronous writes and reads.
#include "load/engine/connection.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <cerrno>

namespace loadlab::load::engine {
namespace asio = boost::asio;
using boost::system::error_code;

using http::would_block;

namespace {

bool is_errno(const error_code& ec, int error_number) noexcept {
  return ec.value() == error_number && ec.category() == boost::system::system_category();
}

// The errors users tell apart (k6 gives each its own code); the rest stay generic.
ExchangeError connect_error(const error_code& ec) noexcept {
  return is_errno(ec, ECONNREFUSED) ? ExchangeError::connect_refused
                                    : ExchangeError::connect_failed;
}
ExchangeError write_error(const error_code& ec) noexcept {
  if (is_errno(ec, EPIPE)) return ExchangeError::broken_pipe;
  return is_errno(ec, ECONNRESET) ? ExchangeError::reset : ExchangeError::write_failed;
}
ExchangeError read_error(const error_code& ec) noexcept {
  return is_errno(ec, ECONNRESET) ? ExchangeError::reset : ExchangeError::read_failed;
}

}  // namespace

asio::ssl::context make_client_tls_context(bool verify) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  error_code ignored;  // no system store: every verified handshake then fails, and says so
  tls.set_default_verify_paths(ignored);
  tls.set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return tls;
}

boost::asio::ssl::context* LazyTlsContext::get() noexcept {
  if (!context_) {
    try {
      context_.emplace(make_client_tls_context(verify_));
    } catch (const boost::system::system_error&) {
      return nullptr;
    }
  }
  return &*context_;
}

Connection::Connection(ConnectionContext& context, ExchangeObserver& observer)
    : context_(context),
      observer_(observer),
      socket_(context.io),
      parser_({.max_header_bytes = context.max_header_bytes, .max_body_capture = 0}) {}

Connection::~Connection() = default;  // polled_ closes itself

void Connection::start(const ExchangeRequest& request, core::TimePoint now) {
  assert(state_ == State::idle);
  request_ = request;
  if (context_.deadlines != nullptr) context_.deadlines->note(request.deadline);
  report_ = ExchangeReport{};
  pending_abort_ = ExchangeError::none;
  retried_ = false;
  first_byte_seen_ = false;
  written_ = 0;
  parser_.set_limits(
      {.max_header_bytes = context_.max_header_bytes, .max_body_capture = request.body_capture});
  parser_.reset(request.head);
  report_.started = now;
  report_.send_start = now;
  if (request.endpoint == nullptr) {
    // Reported from the event loop, never re-entrantly from start().
    state_ = State::connecting;
    asio::post(context_.io, [this] {
      finish(pending_abort_ != ExchangeError::none ? pending_abort_ : ExchangeError::no_endpoint,
             context_.clock.now());
    });
    return;
  }
  if (open() && connected_to_ == request.endpoint) {
    reused_ = true;
    state_ = State::writing;
    write();
    return;
  }
  close();
  reused_ = false;
  connect();
}

void Connection::connect() {
  state_ = State::connecting;
  retired_tls_ = std::move(tls_);
  connect_deadline_ = context_.clock.now() + context_.connect_timeout;
  if (context_.deadlines != nullptr) context_.deadlines->note(connect_deadline_);
  error_code ec;
  const auto& address = request_.endpoint->address;
  socket_.open(address.protocol(), ec);
  if (!ec) socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {  // e.g. out of file descriptors: a failed connect, reported from the loop
    close();
    asio::post(context_.io, [this] {
      finish(pending_abort_ != ExchangeError::none ? pending_abort_ : ExchangeError::connect_failed,
             context_.clock.now());
    });
    return;
  }
  connected_to_ = request_.endpoint;
  socket_.async_connect(address, [this](const error_code& result) { on_connected(result); });
}

void Connection::on_connected(const error_code& ec) {
  const auto now = context_.clock.now();
  if (pending_abort_ != ExchangeError::none) return finish(pending_abort_, now);
  if (ec) {
    close();
    return finish(connect_error(ec), now);
  }
  report_.connecting = now - report_.started;
  if (request_.endpoint->tls) return start_tls(now);
  on_connection_ready(now);
}

void Connection::start_tls(core::TimePoint now) {
  asio::ssl::context* tls = context_.tls == nullptr ? nullptr : context_.tls->get();
  if (tls == nullptr) {
    close();
    return finish(ExchangeError::tls_failed, now);
  }
  tls_started_ = now;
  tls_ = std::make_unique<TlsStream>(socket_, *tls);
  const Endpoint& endpoint = *request_.endpoint;
  // SNI, and (unless verification is off) the certificate checked against the host name.
  ::SSL_set_tlsext_host_name(tls_->native_handle(), endpoint.host.c_str());
  if ((::SSL_CTX_get_verify_mode(tls->native_handle()) & SSL_VERIFY_PEER) != 0) {
    tls_->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
  }
  tls_->async_handshake(asio::ssl::stream_base::client,
                        [this](const error_code& result) { on_tls_handshake(result); });
}

void Connection::on_tls_handshake(const error_code& ec) {
  const auto now = context_.clock.now();
  if (pending_abort_ != ExchangeError::none) return finish(pending_abort_, now);
  if (ec) {
    close();
    return finish(ExchangeError::tls_failed, now);
  }
  report_.tls_handshaking = now - tls_started_;
  on_connection_ready(now);
}

void Connection::on_connection_ready(core::TimePoint now) {
  if (!tls_ && context_.poller != nullptr && !hand_to_poller()) {
    close();
    return finish(ExchangeError::connect_failed, now);
  }
  report_.send_start = now;
  state_ = State::writing;
  write();
}

bool Connection::hand_to_poller() {
  error_code ec;
  const int fd = socket_.release(ec);  // leaves Asio's reactor; still non-blocking
  if (ec) return false;
  awaiting_ = Awaiting::nothing;
  return !context_.poller->watch(polled_, fd, this);
}

void Connection::on_ready(std::uint32_t events) {
  if (!polled_.is_open()) return;  // closed earlier in this batch
  if (awaiting_ == Awaiting::readable && polled_.output_error()) {
    awaiting_ = Awaiting::nothing;  // the ring's send of the request failed
    if (retry_on_fresh_connection()) return;
    const ExchangeError error = write_error(polled_.output_error());  // before close() clears it
    close();
    return finish(error, context_.clock.now());
  }
  if (awaiting_ == Awaiting::readable && polled_.input_pending()) {
    awaiting_ = Awaiting::nothing;
    receive_polled();
  } else if (awaiting_ == Awaiting::writable && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
    awaiting_ = Awaiting::nothing;
    write();
  }
}

std::size_t Connection::send_some(const char* data, std::size_t size, error_code& ec) {
  if (!polled_.is_open()) return socket_.write_some(asio::buffer(data, size), ec);
  const ssize_t sent = ::send(polled_.fd(), data, size, MSG_NOSIGNAL);
  if (sent >= 0) {
    ec.clear();
    return static_cast<std::size_t>(sent);
  }
  ec = http::socket_call_error(errno);
  return 0;
}

std::size_t Connection::receive_some(char* data, std::size_t size, error_code& ec) {
  if (!polled_.is_open()) return socket_.read_some(asio::buffer(data, size), ec);
  return polled_.receive(data, size, ec);
}

void Connection::receive_polled() {
  error_code error;
  const std::size_t n = receive_some(inbox_.data(), inbox_.size(), error);
  if (would_block(error)) {  // a stale edge: its data was already read
    awaiting_ = Awaiting::readable;
    polled_.want_input();
    return;
  }
  on_read(error, n);
}

void Connection::write_tls() {
  const auto bytes = request_.bytes;
  asio::async_write(*tls_, asio::buffer(bytes.data() + written_, bytes.size() - written_),
                    [this](const error_code& ec, std::size_t n) {
                      if (pending_abort_ != ExchangeError::none) {
                        return finish(pending_abort_, context_.clock.now());
                      }
                      written_ += n;
                      report_.bytes_sent += static_cast<std::int64_t>(n);
                      if (ec) {
                        if (retry_on_fresh_connection()) return;
                        close();
                        return finish(write_error(ec), context_.clock.now());
                      }
                      report_.sending = context_.clock.now() - report_.send_start;
                      state_ = State::reading;
                      read();
                    });
}

void Connection::write() {
  if (tls_) return write_tls();
  const auto bytes = request_.bytes;
  if (written_ == 0 && polled_.is_open() &&
      context_.poller->backend() == http::PollerBackend::io_uring) {
    // io_uring sends the request and then waits for the answer, in the worker's next submission:
    // no system call here. The send's own time is not seen; it counts as waiting. The bytes are
    // copied to the socket, which keeps them until the kernel is done with them.
    polled_.outgoing().assign(bytes);
    if (polled_.send_outgoing_then_want_input()) {
      written_ = bytes.size();
      report_.bytes_sent += static_cast<std::int64_t>(bytes.size());
      report_.sending = context_.clock.now() - report_.send_start;
      state_ = State::reading;
      awaiting_ = Awaiting::readable;
      return;
    }
    polled_.outgoing().clear();  // the input ended (closed while idle): the send below meets it
  }
  while (written_ < bytes.size()) {
    error_code ec;
    const auto n = send_some(bytes.data() + written_, bytes.size() - written_, ec);
    if (would_block(ec) && polled_.is_open()) {
      awaiting_ = Awaiting::writable;  // the poller's next EPOLLOUT resumes the write
      polled_.want_output();
      return;
    }
    if (would_block(ec)) {
      socket_.async_wait(asio::socket_base::wait_write, [this](const error_code& result) {
        if (pending_abort_ != ExchangeError::none)
          return finish(pending_abort_, context_.clock.now());
        if (result) {
          close();
          return finish(write_error(result), context_.clock.now());
        }
        write();
      });
      return;
    }
    if (ec) {
      if (retry_on_fresh_connection()) return;
      close();
      return finish(write_error(ec), context_.clock.now());
    }
    written_ += n;
    report_.bytes_sent += static_cast<std::int64_t>(n);
  }
  const auto now = context_.clock.now();
  report_.sending = now - report_.send_start;
  state_ = State::reading;
  read();
}

void Connection::read() {
  if (tls_) {
    tls_->async_read_some(asio::buffer(inbox_),
                          [this](const error_code& ec, std::size_t n) { on_read(ec, n); });
    return;
  }
  if (polled_.is_open()) {
    if (polled_.input_pending()) return receive_polled();
    awaiting_ = Awaiting::readable;
    polled_.want_input();
    return;
  }
  // Wait for readiness, then read. Asio's async_read_some would first try a recv() at once, and
  // its "try first" flag stays set after every successful read, so right after each request it
  // costs a recv() that fails with EAGAIN (the answer cannot be there yet): a wasted syscall per
  // request in a closed loop. Edge-triggered epoll keeps an edge until epoll_wait returns it, and
  // no epoll_wait runs between sending and arming this wait, so no answer is missed.
  socket_.async_wait(asio::socket_base::wait_read, [this](const error_code& ec) {
    if (ec) return on_read(ec, 0);
    error_code error;
    const std::size_t n = socket_.read_some(asio::buffer(inbox_), error);
    if (would_block(error)) return read();  // a stale edge: its data was already read
    on_read(error, n);
  });
}

void Connection::on_read(const error_code& ec, std::size_t bytes) {
  auto now = context_.clock.now();
  if (pending_abort_ != ExchangeError::none) return finish(pending_abort_, now);
  // A TLS peer that closes without close_notify (common between requests) is an EOF here.
  error_code error = ec == asio::ssl::error::stream_truncated ? error_code(asio::error::eof) : ec;
  const char* data = inbox_.data();
  std::size_t size = bytes;
  for (;;) {
    if (error == asio::error::eof) {
      if (parser_.finish_on_eof() == ResponseParser::Progress::complete) {
        close();
        return finish(ExchangeError::none, now);
      }
      if (retry_on_fresh_connection()) return;
      close();
      return finish(ExchangeError::closed, now);
    }
    if (error) {
      if (retry_on_fresh_connection()) return;
      close();
      return finish(read_error(error), now);
    }
    if (!first_byte_seen_) {
      first_byte_seen_ = true;
      report_.waiting = now - (report_.send_start + report_.sending);
      first_byte_at_ = now;
    }
    report_.bytes_received += static_cast<std::int64_t>(size);
    if (consume(data, size, now)) return;
    // A full buffer means the kernel may hold more: drain it now through the shared scratch
    // buffer (synchronously, so no other connection can overwrite it meanwhile).
    const std::size_t capacity = data == inbox_.data() ? inbox_.size() : context_.scratch.size();
    if (tls_ || size < capacity) break;  // TLS records are read through the stream, not here
    size = receive_some(context_.scratch.data(), context_.scratch.size(), error);
    if (would_block(error)) break;
    data = context_.scratch.data();
    now = context_.clock.now();
  }
  read();
}

bool Connection::consume(const char* data, std::size_t size, core::TimePoint now) {
  const auto step = parser_.feed(std::string_view(data, size));
  if (step.progress == ResponseParser::Progress::need_more) return false;
  if (step.progress == ResponseParser::Progress::failed) {
    close();
    finish(ExchangeError::protocol, now);
    return true;
  }
  // Bytes after the response would be a response nobody asked for: the stream is not trusted.
  if (step.consumed != size || !parser_.keep_alive()) close();
  finish(ExchangeError::none, now);
  return true;
}

bool Connection::retry_on_fresh_connection() {
  // A keep-alive connection the server closed while idle: resend once on a new connection, as
  // browsers and HTTP client libraries do, instead of reporting the server's idle timeout.
  if (!reused_ || retried_ || parser_.started()) return false;
  retried_ = true;
  reused_ = false;
  written_ = 0;
  parser_.reset(request_.head);
  close();
  connect();
  return true;
}

void Connection::expire_if_due(core::TimePoint now) {
  if (state_ == State::idle || pending_abort_ != ExchangeError::none) return;
  if (state_ == State::connecting && now >= connect_deadline_) {
    abort_pending(ExchangeError::connect_timeout);
  } else if (now >= request_.deadline) {
    abort_pending(ExchangeError::request_timeout);
  }
}

std::optional<core::TimePoint> Connection::pending_deadline() const noexcept {
  if (state_ == State::idle || pending_abort_ != ExchangeError::none) return std::nullopt;
  if (state_ == State::connecting) return std::min(connect_deadline_, request_.deadline);
  return request_.deadline;
}

void Connection::interrupt() {
  if (state_ == State::idle) return close();
  if (pending_abort_ == ExchangeError::none) abort_pending(ExchangeError::interrupted);
}

void Connection::abort_pending(ExchangeError reason) {
  // An Asio operation completes with operation_aborted and reports `reason`; a socket watched by
  // the poller has no operation in flight, so the report is posted (never made re-entrantly).
  pending_abort_ = reason;
  const bool polled = polled_.is_open();
  close();
  if (polled) asio::post(context_.io, [this] { finish(pending_abort_, context_.clock.now()); });
}

void Connection::close() noexcept {
  if (polled_.is_open()) {
    polled_.close();  // also leaves the poller's set (or cancels its receive)
    awaiting_ = Awaiting::nothing;
    connected_to_ = nullptr;
    return;
  }
  if (!socket_.is_open()) return;
  error_code ignored;
  socket_.close(ignored);
  connected_to_ = nullptr;
}

void Connection::finish(ExchangeError error, core::TimePoint now) {
  report_.error = error;
  report_.status = error == ExchangeError::none ? parser_.status() : 0;
  report_.end = now;
  if (first_byte_seen_) {
    report_.receiving = now - first_byte_at_;
  } else if (state_ == State::reading) {
    report_.waiting = now - (report_.send_start + report_.sending);
    report_.receiving = core::Duration{0};
  }
  state_ = State::idle;
  pending_abort_ = ExchangeError::none;
  observer_.on_exchange_done(report_, parser_);
}

}  // namespace loadlab::load::engine
