// Wakes a worker's deadline sweep when the earliest request or connect deadline passes, so a
// timeout fires on time without a timer per request: starting an exchange costs one comparison
// with the deadline already armed (nearly always earlier, since timeouts are alike), and the
// alarm is re-armed only after it fired. The 100 ms housekeeping pass sweeps as well.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>

#include "core/clock.hpp"

namespace loadlab::load::engine {

class DeadlineAlarm {
 public:
  // Expires every exchange whose deadline is at or before `now`; returns the earliest deadline
  // still pending, if any.
  using Sweep = std::function<std::optional<core::TimePoint>(core::TimePoint now)>;

  // Sweeps at most once per `resolution`, however many deadlines fall inside it (a timeout a
  // fraction of it late is the price of one pass for many).
  DeadlineAlarm(boost::asio::io_context& io, core::Clock& clock, Sweep sweep,
                core::Duration resolution = std::chrono::milliseconds{1});

  // An exchange now pending will be due at `deadline`.
  void note(core::TimePoint deadline) {
    if (deadline < armed_at_) arm(deadline);
  }
  // No more sweeps (the worker's share is over): the loop may run dry.
  void stop();

 private:
  void arm(core::TimePoint at);
  void on_fired();

  boost::asio::steady_timer timer_;
  core::Clock& clock_;
  Sweep sweep_;
  core::Duration resolution_;
  core::TimePoint armed_at_ = core::TimePoint::max();
  bool stopped_ = false;
};

}  // namespace loadlab::load::engine
