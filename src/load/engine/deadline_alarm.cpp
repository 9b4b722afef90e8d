// One timer per worker for every exchange's deadline (see deadline_alarm.hpp).
#include "load/engine/deadline_alarm.hpp"

#include <algorithm>

namespace loadlab::load::engine {

DeadlineAlarm::DeadlineAlarm(boost::asio::io_context& io, core::Clock& clock, Sweep sweep,
                             core::Duration resolution)
    : timer_(io), clock_(clock), sweep_(std::move(sweep)), resolution_(resolution) {}

void DeadlineAlarm::stop() {
  stopped_ = true;
  armed_at_ = core::TimePoint::min();  // note() never arms again
  timer_.cancel();
}

void DeadlineAlarm::arm(core::TimePoint at) {
  if (stopped_) return;
  armed_at_ = at;
  // Re-arming cancels the earlier wait, whose handler then sees operation_aborted.
  timer_.expires_at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(at));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_fired();
  });
}

void DeadlineAlarm::on_fired() {
  armed_at_ = core::TimePoint::max();
  const core::TimePoint now = clock_.now();
  const std::optional<core::TimePoint> next = sweep_(now);
  if (next) arm(std::max(*next, now + resolution_));
}

}  // namespace loadlab::load::engine
