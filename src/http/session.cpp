// Connection coroutine with a watchdog deadline instead of a timer per operation (session.hpp).
#include "http/session.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstddef>
#include <ctime>
#include <memory>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "http/request_dispatch.hpp"
#include "http/request_metrics.hpp"
#include "http/response_head.hpp"
#include "http/server_state.hpp"

namespace loadlab::http {

using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;
namespace bhttp = beast::http;

// The completion handler of a session waiting for its socket: type-erased, move-only, stored
// in place (one wait per request, so no allocation per wait). Boost 1.81's
// asio::any_completion_handler recurses without end when it wraps an awaitable's handler, so this
// is the small part of it that the session needs.
class WaitHandler {
 public:
  WaitHandler() = default;
  WaitHandler(const WaitHandler&) = delete;
  WaitHandler& operator=(const WaitHandler&) = delete;
  ~WaitHandler() { abandon(); }

  template <class Handler>
  void emplace(Handler&& handler) {
    using Stored = std::decay_t<Handler>;
    static_assert(sizeof(Stored) <= kStorage && alignof(Stored) <= alignof(std::max_align_t));
    abandon();
    ::new (static_cast<void*>(storage_)) Stored(std::forward<Handler>(handler));
    call_ = [](unsigned char* storage, const beast::error_code* error) {
      auto* stored = std::launder(reinterpret_cast<Stored*>(storage));
      if (error == nullptr) {
        stored->~Stored();
        return;
      }
      Stored released(std::move(*stored));  // released first: the resumed session may wait again
      stored->~Stored();
      std::move(released)(*error);
    };
  }
  // Completes the wait: resumes the session until its next wait or its end.
  void complete(const beast::error_code& error) {
    auto* const call = std::exchange(call_, nullptr);
    call(storage_, &error);
  }
  // Destroys the handler without calling it (and with it the waiting session's frame).
  void abandon() noexcept {
    if (auto* const call = std::exchange(call_, nullptr)) call(storage_, nullptr);
  }

 private:
  static constexpr std::size_t kStorage = 128;
  using Call = void (*)(unsigned char*, const beast::error_code*);
  alignas(std::max_align_t) unsigned char storage_[kStorage]{};
  Call call_ = nullptr;
};

// A session's socket after it left Asio's reactor (see readiness_poller.hpp), plus the one
// deadline that currently applies to it. Reads and writes are non-blocking (the Beast stream
// concepts below); when one would block, the session coroutine waits for the shard's poller to
// report input or writability. A read is not even tried while nothing arrived since the last
// short read: right after a response, the next request is rarely there yet.
//
// The watchdog wakes at most every `check_interval` and, once the deadline has passed, shuts the
// socket down: a waiting session then sees the end of the stream. Moving the deadline costs an
// assignment, not a timer operation (the interval is never longer than any timeout, so a new
// deadline lies after the watchdog's next wake-up, give or take the coarse clock's tick).
struct Connection final : ReadinessPoller::Watcher {
  enum class Awaiting : std::uint8_t { nothing, readable, writable };

  explicit Connection(asio::io_context& context) : watchdog(context) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;  // the socket closes itself

  // From the coarse monotonic clock: the same clock as steady_clock, read without asking the
  // (virtualised) clock source, and up to a scheduler tick (a few ms) behind, so a deadline may
  // come that much early. Three deadlines move per request; timeouts are many milliseconds.
  void expire_after(std::chrono::milliseconds timeout) { deadline = coarse_now() + timeout; }
  static SteadyTime coarse_now() noexcept {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
        std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec)));
  }
  void no_deadline() { deadline = SteadyTime::max(); }

  // Beast's SyncReadStream: at most one read into the first buffer.
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& error) {
    const asio::mutable_buffer buffer = *asio::buffer_sequence_begin(buffers);
    return socket.receive(buffer.data(), buffer.size(), error);
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code error;
    const std::size_t n = read_some(buffers, error);
    if (error) throw boost::system::system_error(error);
    return n;
  }

  // Beast's SyncWriteStream: one sendmsg() of up to 16 buffers.
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers, beast::error_code& error) {
    std::array<iovec, 16> pieces{};
    std::size_t count = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && count < pieces.size(); ++it) {
      const asio::const_buffer piece(*it);
      if (piece.size() == 0) continue;
      pieces[count].iov_base = const_cast<void*>(piece.data());
      pieces[count].iov_len = piece.size();
      ++count;
    }
    msghdr message{};
    message.msg_iov = pieces.data();
    message.msg_iovlen = count;
    for (;;) {
      const ssize_t sent = ::sendmsg(socket.fd(), &message, MSG_NOSIGNAL);
      if (sent >= 0) {
        error.clear();
        return static_cast<std::size_t>(sent);
      }
      if (errno == EINTR) continue;
      error = socket_call_error(errno);
      return 0;
    }
  }
  template <class ConstBufferSequence>
  std::size_t write_some(const ConstBufferSequence& buffers) {
    beast::error_code error;
    const std::size_t n = write_some(buffers, error);
    if (error) throw boost::system::system_error(error);
    return n;
  }

  // Completes when the socket can be read (input arrived) or written.
  template <class Token>
  auto async_wait_until(Awaiting what, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code)>(
        [this, what](auto handler) {
          awaiting = what;
          waiter.emplace(std::move(handler));
          if (what == Awaiting::readable) {
            socket.want_input();
          } else {
            socket.want_output();
          }
        },
        token);
  }

  void on_ready(std::uint32_t events) override {
    if (!socket.is_open()) return;
    const bool writable = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    if ((awaiting == Awaiting::readable && socket.input_pending()) ||
        (awaiting == Awaiting::writable && writable)) {
      awaiting = Awaiting::nothing;
      waiter.complete({});  // resumes the session until its next wait
    }
  }

  // Ends the stream both ways; a waiting session resumes through the poller and sees the end.
  // The drain's shut-down lets a send in flight (io_uring) go out first.
  void shut_down() noexcept { socket.shut_down(); }
  // The same at once: the deadline passed, which also covers a send that a peer that does not
  // read has stalled (the synchronous write waits for the socket under the same deadline).
  void shut_down_now() noexcept {
    if (socket.is_open()) ::shutdown(socket.fd(), SHUT_RDWR);
  }

  // A graceful FIN, or a RST when one was asked for; closing also leaves the poller's set.
  void close() noexcept {
    if (!socket.is_open()) return;
    if (reset_on_close) {
      const ::linger reset{.l_onoff = 1, .l_linger = 0};
      ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    } else {
      ::shutdown(socket.fd(), SHUT_WR);
    }
    socket.close();
  }

  ReadinessPoller::Socket socket;
  asio::steady_timer watchdog;
  WaitHandler waiter;
  std::string unsent_head;  // what is left of a response head when the socket took only part
  Awaiting awaiting = Awaiting::nothing;
  SteadyTime deadline = SteadyTime::max();
  std::chrono::milliseconds check_interval{1'000};
  bool idle = false;       // waiting for the first byte of the next request
  bool finished = false;   // the session is over; the watchdog stops
  bool timed_out = false;  // the watchdog shut the socket down
  bool reset_on_close = false;
};

namespace {

// Checks the connection's deadline and arms the watchdog for the next check, until the session
// is over (its end cancels the timer). A plain timer handler rather than a coroutine: every
// connection has one, and a coroutine's frames cost some 700 bytes per connection.
void watch_deadline(std::shared_ptr<Connection> connection) {
  if (connection->finished) return;
  const SteadyTime now = std::chrono::steady_clock::now();
  if (now >= connection->deadline) {
    connection->timed_out = true;
    connection->shut_down_now();
    return;
  }
  const SteadyTime next_check = now + connection->check_interval;
  connection->watchdog.expires_at(std::min(connection->deadline, next_check));
  // The timer is named before the handler takes the connection over.
  auto& watchdog = connection->watchdog;
  watchdog.async_wait([connection = std::move(connection)](const beast::error_code&) mutable {
    watch_deadline(std::move(connection));
  });
}

// The status for a request that could not be read, or nullopt when the connection just ended.
std::optional<Status> status_for_read_error(const beast::error_code& error) {
  if (error == bhttp::error::header_limit) return Status::request_header_fields_too_large;
  if (error == bhttp::error::body_limit) return Status::payload_too_large;
  if (error.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      error != bhttp::error::end_of_stream && error != bhttp::error::partial_message &&
      error != bhttp::error::need_more && error != bhttp::error::need_buffer) {
    return Status::bad_request;
  }
  return std::nullopt;
}

// RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked has no length the
// server can know, and must get a 400 and a close. Beast reads such a request as bodiless, so
// without this check the bytes of its body would be served as the next request (smuggling).
bool has_unframed_transfer_coding(const bhttp::request_parser<bhttp::string_body>& parser) {
  return !parser.chunked() &&
         parser.get().find(bhttp::field::transfer_encoding) != parser.get().end();
}

std::string_view message_for(Status status) {
  switch (status) {
    case Status::request_header_fields_too_large:
      return "request header fields too large";
    case Status::payload_too_large:
      return "request body too large";
    default:
      return "malformed request";
  }
}

// Each step below is synchronous and non-blocking: it does what the socket allows and reports
// would_block when it must wait. Nearly always a step finishes at once (the request is all there;
// the socket takes the whole response), and then no coroutine is created: every coroutine level
// costs a frame to allocate and a resumption per request.
//
// After a step would have blocked: waits for the socket's next edge (`what`) and runs the step
// again until it no longer would block, under the connection's current deadline. The step is
// moved in with whatever progress it has made. Returns the step's error (none when it finished)
// or the wait's.
template <class Step>
asio::awaitable<beast::error_code> continue_when_ready(Connection* connection,
                                                       Connection::Awaiting what, Step step) {
  for (;;) {
    auto [wait_error] =
        co_await connection->async_wait_until(what, asio::as_tuple(asio::use_awaitable));
    if (wait_error) co_return wait_error;
    const beast::error_code error = step();
    if (!would_block(error)) co_return error;
  }
}

// After an error response that ends the connection while the client may still be sending (a 413
// for a body on its way, a 400 mid-request): closing with unread input makes the kernel answer
// with a RST, and a RST can destroy the response in the client's receive queue before it is read.
// So the response is followed by a FIN, and what still arrives is read and thrown away until the
// client closes too, for at most kLingeringTime (nginx's lingering close, RFC 9112 §9.6).
constexpr std::chrono::milliseconds kLingeringTime{2'000};
constexpr std::size_t kLingeringBytes = 64UL * 1024 * 1024;

struct DiscardInput {
  Connection* connection;
  std::vector<char>* scratch;
  std::size_t discarded = 0;

  beast::error_code operator()() {
    beast::error_code error;
    while (discarded < kLingeringBytes) {
      const std::size_t n = connection->read_some(asio::buffer(*scratch), error);
      if (error) return error;  // would_block: wait for more; the end of the stream: done
      discarded += n;
    }
    return error;
  }
};

asio::awaitable<void> close_lingering(Connection* connection, std::vector<char>* scratch) {
  if (!connection->socket.is_open()) co_return;
  ::shutdown(connection->socket.fd(), SHUT_WR);
  connection->expire_after(kLingeringTime);  // the watchdog ends the wait at the latest
  DiscardInput discard{connection, scratch};
  if (would_block(discard())) {
    co_await continue_when_ready(connection, Connection::Awaiting::readable, discard);
  }
}

// A request that arrives whole (nearly all do) is parsed straight from the shard's input scratch
// buffer; only what is left of it (a partial request, or the next pipelined one) is copied into
// the connection's own buffer, where the next read goes on. So a connection holds no read buffer
// unless a request arrives in pieces. Call only with the connection's buffer empty.
beast::error_code parse_from_scratch(Connection* connection, std::vector<char>& scratch,
                                     beast::flat_buffer* buffer,
                                     bhttp::request_parser<bhttp::string_body>* parser) {
  beast::error_code error;
  const std::size_t received = connection->read_some(asio::buffer(scratch), error);
  if (error) return error;
  std::size_t parsed = 0;
  while (parsed < received && !parser->is_done()) {
    const std::size_t used =
        parser->put(asio::buffer(scratch.data() + parsed, received - parsed), error);
    parsed += used;
    if (error == bhttp::error::need_more) {
      error.clear();
      break;
    }
    if (error) return error;
    if (used == 0) break;
  }
  const std::size_t rest = received - parsed;
  if (rest > 0) {
    buffer->commit(
        asio::buffer_copy(buffer->prepare(rest), asio::buffer(scratch.data() + parsed, rest)));
  }
  return {};
}

// Reads one request into *parser, the head under the header-read deadline and then the body under
// a fresh one (the caller sets the first). Whenever the connection's buffer is empty the next
// input is parsed from the shard's scratch (parse_from_scratch); the first byte may already be
// buffered. Runs again after each wait until it no longer would block.
struct ReadRequest {
  Connection* connection;
  std::vector<char>* scratch;
  beast::flat_buffer* buffer;
  bhttp::request_parser<bhttp::string_body>* parser;
  std::chrono::milliseconds timeout;
  bool* continue_sent;  // the interim 100 Continue went out (once per request)

  beast::error_code operator()() const {
    beast::error_code error;
    if (buffer->size() == 0) {
      const bool head_was_done = parser->is_header_done();
      error = parse_from_scratch(connection, *scratch, buffer, parser);
      if (error) return error;  // would_block: nothing came yet
      if (parser->is_done()) return error;
      if (!head_was_done && parser->is_header_done()) connection->expire_after(timeout);
    }
    if (!parser->is_header_done()) {
      bhttp::read_header(*connection, *buffer, *parser, error);
      if (error) return error;
      if (!parser->is_done()) connection->expire_after(timeout);
    }
    if (!parser->is_done()) {
      send_continue_if_expected();
      bhttp::read(*connection, *buffer, *parser, error);
    }
    return error;
  }

  // A client that sent `Expect: 100-continue` holds its body back until told to go on (curl does
  // for bodies over 1 KiB, then gives up waiting after a second). A head the parser accepted
  // (its Content-Length within the body limit, else 413 already) is told at once (RFC 9110
  // §10.1.1). 25 bytes on a connection with nothing else unsent: if the socket does not take
  // them whole, the client sends its body after its own wait, as it would have anyway.
  void send_continue_if_expected() const {
    if (*continue_sent || buffer->size() != 0 || parser->get().version() < 11) return;
    const auto expect = parser->get().find(bhttp::field::expect);
    if (expect == parser->get().end() || !beast::iequals(expect->value(), "100-continue")) return;
    *continue_sent = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ignored;
    connection->write_some(asio::buffer(kContinue), ignored);
  }
};

// Writes a response's head and body with as few calls as the socket allows (almost always one),
// from where the last call stopped. The head is rendered into the shard's output scratch string;
// before the session waits for the socket, keep_unsent() moves what is left of it into the
// connection, since other sessions of the shard reuse the scratch meanwhile.
struct WriteResponse {
  Connection* connection;
  std::string_view head;
  std::string_view body;  // the response's, which lives in the session's frame
  std::size_t sent = 0;   // of head and body together

  beast::error_code operator()() {
    beast::error_code error;
    while (!error && sent < head.size() + body.size()) {
      const std::array<asio::const_buffer, 2> rest{
          asio::buffer(head) + std::min(sent, head.size()),
          asio::buffer(body) + (sent > head.size() ? sent - head.size() : 0)};
      sent += connection->write_some(rest, error);
    }
    return error;
  }

  void keep_unsent() {
    const std::size_t head_sent = std::min(sent, head.size());
    connection->unsent_head.assign(head.substr(head_sent));
    head = connection->unsent_head;
    sent -= head_sent;
  }
};

// Bodies up to this size go out through the io_uring ring (copied once, beside the head); a
// larger one is written directly from the response.
constexpr std::size_t max_ring_send_body = 64 * 1024;

// A chunked response goes through Beast's serializer (which lives in this rare coroutine's frame).
asio::awaitable<beast::error_code> write_chunked_response(Connection* connection,
                                                          Response& response,
                                                          const ResponseStamp& stamp) {
  stamp.apply_to(response);
  bhttp::response_serializer<bhttp::string_body> serializer(response);
  const auto step = [connection, &serializer] {
    beast::error_code error;
    bhttp::write(*connection, serializer, error);
    return error;
  };
  const beast::error_code error = step();
  if (!would_block(error)) co_return error;
  co_return co_await continue_when_ready(connection, Connection::Awaiting::writable, step);
}

// The answer to a request that could not be read (400, 413, 431), stamped and counted; timed
// from the error, since such a request has no complete head.
Response protocol_error_response(SessionEnvironment* environment, Status status, Verb method,
                                 ResponseStamp* stamp) {
  Response response = error_response(status, message_for(status));
  *stamp = finish_protocol_error(*environment, response, method, environment->clock->now());
  return response;
}

}  // namespace

// What one request needs from its first byte to its response. Coroutine frames keep every local
// of the session's loop for the connection's whole life (g++ does not overlap them), so this
// state lives outside the frame: taken from the shard's spares when a request starts and given
// back after its response, an idle connection holds none of it.
struct RequestState {
  std::optional<bhttp::request_parser<bhttp::string_body>> parser;  // not resettable: re-made
  std::optional<RequestDispatch> dispatch;
  Response response;
  ResponseStamp stamp;
};

namespace {

class RequestLease {
 public:
  // Spares kept per shard: enough for its usual concurrency, not for a burst's peak.
  static constexpr std::size_t max_spares = 256;

  explicit RequestLease(IoShard& shard) : shard_(shard) {
    if (shard.spare_requests.empty()) {
      state_ = std::make_unique<RequestState>();
    } else {
      state_ = std::move(shard.spare_requests.back());
      shard.spare_requests.pop_back();
    }
  }
  RequestLease(const RequestLease&) = delete;
  RequestLease& operator=(const RequestLease&) = delete;
  ~RequestLease() {
    if (shard_.spare_requests.size() >= max_spares) return;  // after a burst: let it go
    state_->dispatch.reset();                                // it refers to the parser's request
    state_->parser.reset();
    state_->response = Response();
    state_->stamp = ResponseStamp();
    shard_.spare_requests.push_back(std::move(state_));
  }
  RequestState& operator*() const noexcept { return *state_; }

 private:
  IoShard& shard_;
  std::unique_ptr<RequestState> state_;
};

}  // namespace

// g++ 12 inlines Asio's frame allocation (aligned_alloc behind awaitable_frame_base's own
// operator new) and then takes the matching class operator delete for a mismatch: a false
// positive of -Wmismatched-new-delete on coroutines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<void> run_session(tcp::socket socket, SessionEnvironment* environment,
                                  IoShard* shard) {
  const ServerOptions& options = *environment->options;
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored);
  // The socket leaves Asio's reactor for the shard's poller (readiness_poller.hpp).
  const int descriptor = socket.release(ignored);
  auto connection = std::make_shared<Connection>(shard->context);
  const bool watched = !shard->poller.watch(connection->socket, descriptor, connection.get());
  connection->check_interval = std::min(options.header_read_timeout, options.idle_timeout);
  shard->connections.push_front(connection.get());
  const auto tracked = shard->connections.begin();
  environment->metrics->connections().inc();
  connection->expire_after(options.header_read_timeout);
  if (watched) {
    watch_deadline(connection);
  } else {
    connection->finished = true;  // out of resources: close at once
  }

  beast::flat_buffer buffer;
  bool first_request = true;
  bool linger_on_close = false;  // the last response answered a request that was not read whole
  while (!connection->finished) {
    // The next request's first byte, under the idle deadline (the header-read one at first).
    // This wait is the one most requests do make, so it is written out here rather than in a
    // helper coroutine.
    if (buffer.size() == 0) {
      if (shard->closing_idle) break;
      connection->idle = true;
      connection->expire_after(first_request ? options.header_read_timeout : options.idle_timeout);
      beast::error_code wait_error;
      while (!connection->socket.input_pending() && !wait_error) {
        std::tie(wait_error) = co_await connection->async_wait_until(
            Connection::Awaiting::readable, asio::as_tuple(asio::use_awaitable));
      }
      connection->idle = false;
      if (wait_error) break;
    }
    first_request = false;

    const RequestLease lease(*shard);
    RequestState& state = *lease;
    auto& parser = state.parser.emplace();
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    connection->expire_after(options.header_read_timeout);
    bool continue_sent = false;
    const ReadRequest read{connection.get(), &shard->input_scratch,       &buffer,
                           &parser,          options.header_read_timeout, &continue_sent};
    beast::error_code read_error = read();
    if (would_block(read_error)) {
      read_error =
          co_await continue_when_ready(connection.get(), Connection::Awaiting::readable, read);
    }
    if (!read_error && has_unframed_transfer_coding(parser)) {
      read_error = bhttp::error::bad_transfer_encoding;
    }
    Request& request = parser.get();
    Response& response = state.response;
    bool keep_alive = false;
    linger_on_close = static_cast<bool>(read_error);
    if (read_error) {
      const std::optional<Status> status = status_for_read_error(read_error);
      if (!status || connection->timed_out) break;
      const Verb method = parser.is_header_done() ? request.method() : Verb::unknown;
      response = protocol_error_response(environment, *status, method, &state.stamp);
    } else {
      connection->no_deadline();
      RequestDispatch& dispatch = state.dispatch.emplace(
          *environment, request, environment->clock->now(), shard->context.get_executor());
      if (!dispatch.start(response)) response = co_await dispatch.call_handler();
      state.stamp = dispatch.finish(response);
      if (const auto abort = response.find(abort_connection_header);
          abort != response.end() && abort->value() == "reset") {
        // SO_LINGER with a zero timeout turns close() into a RST: the peer sees "connection
        // reset".
        connection->reset_on_close = true;
        break;
      }
      keep_alive = request.keep_alive() && response.keep_alive() && !environment->state->draining();
    }
    response.keep_alive(keep_alive);
    // A HEAD request is answered by its GET route (Router::match): the same head, Content-Length
    // included, and no body (RFC 9110 §9.3.2). Left out here, so every route and both execution
    // models get it without knowing.
    const bool head_only = !read_error && request.method() == Verb::head;
    const std::string_view body = head_only ? std::string_view{} : response.body();

    // The head goes out with the body in one call (WriteResponse), or, with io_uring, in one
    // send linked to the receive of the next request (no system call of its own).
    connection->expire_after(options.idle_timeout);
    if (keep_alive && buffer.size() == 0 && !connection->socket.input_pending() &&
        (head_only || !response.chunked()) && body.size() <= max_ring_send_body &&
        shard->poller.backend() == PollerBackend::io_uring) {
      std::string& outgoing = connection->socket.outgoing();
      render_response_head(response, &state.stamp, outgoing);
      outgoing.append(body);
      if (connection->socket.send_outgoing_then_want_input()) continue;  // to the next request
      outgoing.clear();  // the input ended: the plain write below meets it
    }
    beast::error_code write_error;
    if (response.chunked() && !head_only) {
      write_error = co_await write_chunked_response(connection.get(), response, state.stamp);
    } else {
      render_response_head(response, &state.stamp, shard->output_scratch);
      WriteResponse write{connection.get(), shard->output_scratch, body};
      write_error = write();
      if (would_block(write_error)) {
        write.keep_unsent();
        write_error =
            co_await continue_when_ready(connection.get(), Connection::Awaiting::writable, write);
      }
    }
    if (write_error || !keep_alive) {
      linger_on_close = linger_on_close && !write_error;
      break;
    }
  }
  if (linger_on_close && !connection->timed_out && !connection->reset_on_close) {
    co_await close_lingering(connection.get(), &shard->input_scratch);
  }

  connection->finished = true;
  connection->watchdog.cancel();
  connection->close();
  shard->connections.erase(tracked);
  environment->metrics->connections().dec();
  environment->state->close_connection();
  if (environment->on_connection_closed) environment->on_connection_closed();
}
#pragma GCC diagnostic pop

IoShard::IoShard(PollerBackend backend) : context(1), poller(context, backend) {}

IoShard::~IoShard() {
  // Destroying a waiting handler destroys its session's frame (through a post that the context's
  // destruction then discards), which may destroy the connection: copy the list first.
  const std::vector<Connection*> sessions(connections.begin(), connections.end());
  for (Connection* connection : sessions) connection->waiter.abandon();
}

void close_idle_connections(IoShard& shard) {
  shard.closing_idle = true;
  // Each shut-down socket is an edge: its session resumes from the poller, sees the end of the
  // stream and closes (never from inside this loop, which its ending would invalidate).
  for (Connection* connection : shard.connections) {
    if (connection->idle) connection->shut_down();
  }
}

void reject_connection(tcp::socket socket) {
  static constexpr std::string_view answer =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Content-Type: application/json\r\n"
      "Connection: close\r\n"
      "Retry-After: 1\r\n"
      "Content-Length: 37\r\n\r\n"
      "{\"error\":\"too many open connections\"}";
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(answer.data(), answer.size()), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace loadlab::http
