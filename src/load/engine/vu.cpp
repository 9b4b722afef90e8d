// A VU's iteration: pick or step through requests, send, judge, record, think, repeat.
#include "load/engine/vu.hpp"

namespace loadlab::load::engine {

Vu::Vu(WorkerContext& worker, VuOwner& owner, const PreparedScenario& scenario, std::int64_t id,
       std::size_t slot)
    : worker_(worker),
      owner_(owner),
      scenario_(scenario),
      connection_(worker.connections, *this),
      id_(id),
      slot_(slot) {
  bool thinks = !scenario.scenario->think_time.none();
  for (const auto& request : scenario.scenario->requests) thinks |= !request.think_time.none();
  if (thinks) pause_timer_ = std::make_unique<boost::asio::steady_timer>(worker.io);
}

void Vu::start_iteration(core::TimePoint intended, bool open_model) {
  in_iteration_ = true;
  interrupting_ = false;
  open_model_ = open_model;
  intended_ = intended;
  step_ = 0;
  current_ = scenario_.scenario->mix == MixMode::weighted && scenario_.requests.size() > 1
                 ? scenario_.pick(worker_.random.uniform01())
                 : 0;
  send_current();
}

void Vu::send_current() {
  const RequestBuilder& builder = scenario_.requests[current_];
  TemplateContext context{worker_.random, worker_.next_sequence(), id_, iteration_};
  const BuiltRequest built = builder.build(context, buffers_);
  // One reading starts the exchange, sets its deadline and, for the first request, the
  // iteration: the clock is read three times per request (here, after the send, at the answer).
  // Each reading is about 0.4 % of the generator's CPU on a machine whose system calls are cheap
  // (perf); seven readings were 2.9 %.
  const core::TimePoint now = worker_.clock.now();
  if (step_ == 0) iteration_start_ = now;
  ExchangeRequest request;
  request.endpoint = built.bytes.empty() ? nullptr : built.endpoint;
  request.bytes = built.bytes;
  request.head = builder.head();
  request.body_capture = builder.body_capture();
  request.deadline = now + builder.timeout();
  connection_.start(request, now);
}

void Vu::on_exchange_done(const ExchangeReport& report, const ResponseParser& parser) {
  if (report.error == ExchangeError::interrupted || interrupting_) {
    in_iteration_ = false;
    owner_.on_iteration_interrupted(*this);
    return;
  }
  const RequestBuilder& builder = scenario_.requests[current_];
  const ResponseVerdict verdict = builder.judge(report.status, parser.body());
  RequestSample sample;
  sample.scenario = scenario_.index;
  sample.request = static_cast<std::uint32_t>(current_);
  sample.status = report.status;
  sample.error = report.error;
  sample.failed = verdict.failed;
  sample.duration = report.end - report.send_start;
  // Only an iteration's first request can be late: the later ones start when they may.
  const bool from_intended = open_model_ && step_ == 0;
  sample.latency = from_intended ? report.end - intended_ : sample.duration;
  if (report.error == ExchangeError::none) {
    sample.connecting = report.connecting;
    sample.tls_handshaking = report.tls_handshaking;
    sample.sending = report.sending;
    sample.waiting = report.waiting;
    sample.receiving = report.receiving;
  }
  sample.bytes_sent = report.bytes_sent;
  sample.bytes_received = report.bytes_received;
  sample.checks_passed = verdict.checks_passed;
  sample.checks_failed = verdict.checks_failed;
  worker_.recorder.record_request(sample, report.end);
  worker_.live.record(std::chrono::duration_cast<std::chrono::microseconds>(sample.latency).count(),
                      sample.failed);

  const bool last =
      scenario_.scenario->mix == MixMode::weighted || step_ + 1 >= scenario_.requests.size();
  core::Duration pause = think(scenario_.scenario->requests[current_].think_time);
  if (last) pause += think(scenario_.scenario->think_time);
  pause_then(pause, last, report.end);
}

void Vu::pause_then(core::Duration pause, bool end_of_iteration, core::TimePoint now) {
  if (pause.count() <= 0 || !pause_timer_) return after_pause(end_of_iteration, now);
  pausing_ = true;
  pause_timer_->expires_after(pause);
  pause_timer_->async_wait([this, end_of_iteration](const boost::system::error_code& ec) {
    if (ec || !pausing_) return;  // cancelled by interrupt()
    pausing_ = false;
    after_pause(end_of_iteration, worker_.clock.now());
  });
}

void Vu::after_pause(bool end_of_iteration, core::TimePoint now) {
  if (end_of_iteration) return end_iteration(now);
  next_step();
}

void Vu::next_step() {
  ++step_;
  current_ = step_;
  send_current();
}

void Vu::end_iteration(core::TimePoint now) {
  worker_.recorder.record_iteration(scenario_.index, now - iteration_start_, now);
  ++iteration_;
  in_iteration_ = false;
  owner_.on_iteration_done(*this, now);
}

void Vu::interrupt() {
  if (!in_iteration_ || interrupting_) return;
  if (pausing_ || !connection_.busy()) {
    pausing_ = false;
    if (pause_timer_) pause_timer_->cancel();
    in_iteration_ = false;
    connection_.close();
    owner_.on_iteration_interrupted(*this);
    return;
  }
  interrupting_ = true;
  connection_.interrupt();  // reports through on_exchange_done
}

core::Duration Vu::think(const ThinkTime& think_time) noexcept {
  if (think_time.none()) return core::Duration{0};
  if (think_time.min >= think_time.max) return think_time.max;
  return core::Duration{worker_.random.uniform_int(think_time.min.count(), think_time.max.count())};
}

}  // namespace loadlab::load::engine
