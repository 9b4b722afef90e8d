// A virtual user: runs iterations of its scenario's request mix (one weighted pick, or the
// whole sequence) on its own keep-alive connection, with think time, and records every
// exchange. Its runner decides when iterations start; the VU reports when they end.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "core/clock.hpp"
#include "load/engine/connection.hpp"
#include "load/engine/request_builder.hpp"
#include "load/engine/worker_context.hpp"
#include "load/scenario.hpp"

namespace loadlab::load::engine {

class Vu;

// The scenario runner, as a VU sees it.
class VuOwner {
 public:
  // now: when the iteration ended (the answer's arrival, or the end of its last pause).
  virtual void on_iteration_done(Vu& vu, core::TimePoint now) = 0;
  virtual void on_iteration_interrupted(Vu& vu) = 0;

 protected:
  ~VuOwner() = default;
};

class Vu final : public ExchangeObserver {
 public:
  // id: k6's __VU (1-based, unique within the run); slot: index in the owner's VU list.
  Vu(WorkerContext& worker, VuOwner& owner, const PreparedScenario& scenario, std::int64_t id,
     std::size_t slot);
  Vu(const Vu&) = delete;
  Vu& operator=(const Vu&) = delete;

  // Starts an iteration; intended is when it should have started (open model), which is where
  // its first request's http_req_latency counts from. Closed model: pass now.
  void start_iteration(core::TimePoint intended, bool open_model);
  // Abandons the running iteration (reported to the owner as interrupted).
  void interrupt();
  void expire_if_due(core::TimePoint now) { connection_.expire_if_due(now); }
  [[nodiscard]] std::optional<core::TimePoint> pending_deadline() const noexcept {
    return connection_.pending_deadline();
  }
  void close() noexcept { connection_.close(); }

  [[nodiscard]] bool busy() const noexcept { return in_iteration_; }
  [[nodiscard]] std::int64_t id() const noexcept { return id_; }
  [[nodiscard]] std::size_t slot() const noexcept { return slot_; }
  [[nodiscard]] std::int64_t iterations_done() const noexcept { return iteration_; }

 private:
  void send_current();
  void on_exchange_done(const ExchangeReport& report, const ResponseParser& parser) override;
  void pause_then(core::Duration pause, bool end_of_iteration, core::TimePoint now);
  void after_pause(bool end_of_iteration, core::TimePoint now);
  void next_step();
  void end_iteration(core::TimePoint now);
  [[nodiscard]] core::Duration think(const ThinkTime& think_time) noexcept;

  WorkerContext& worker_;
  VuOwner& owner_;
  const PreparedScenario& scenario_;
  Connection connection_;
  RenderBuffers buffers_;
  std::unique_ptr<boost::asio::steady_timer> pause_timer_;  // only when there is think time
  std::int64_t id_;
  std::size_t slot_;
  std::int64_t iteration_ = 0;
  std::size_t step_ = 0;             // position in a sequence
  std::size_t current_ = 0;          // request being sent
  core::TimePoint iteration_start_;  // its first exchange's start (after the request was built)
  core::TimePoint intended_;
  bool open_model_ = false;
  bool in_iteration_ = false;
  bool pausing_ = false;
  bool interrupting_ = false;
};

}  // namespace loadlab::load::engine
