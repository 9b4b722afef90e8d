// Runs a blocking database call on a dedicated thread pool and resumes the awaiting coroutine on
// its own executor, so an I/O thread never waits on a blocking library (SQLite, PQcancel).
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace loadlab::db {

// `interrupt` is called (from the canceller's thread) if the awaiting coroutine is cancelled
// while `call` runs; it must be thread-safe and make `call` return early.
template <class Result, class Call, class Interrupt>
boost::asio::awaitable<Result> run_blocking(boost::asio::thread_pool& threads, Call call,
                                            Interrupt interrupt) {
  namespace asio = boost::asio;
  // Named outside the co_await: GCC 12 destroys a capturing lambda created inside a co_await
  // expression twice.
  auto initiation = [pool = &threads](auto handler, Call blocking_call, Interrupt on_cancel) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([on_cancel](asio::cancellation_type) mutable { on_cancel(); });
    }
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(*pool, [handler = std::move(handler), blocking_call = std::move(blocking_call),
                       work = std::move(work)]() mutable {
      Result result = blocking_call();
      auto executor = work.get_executor();
      asio::post(executor, [handler = std::move(handler), result = std::move(result)]() mutable {
        // Back on the caller's executor, where cancellation is emitted: safe to
        // detach.
        auto cancel_slot = asio::get_associated_cancellation_slot(handler);
        if (cancel_slot.is_connected()) cancel_slot.clear();
        std::move(handler)(std::move(result));
      });
      work.reset();
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Result)>(
      std::move(initiation), asio::use_awaitable, std::move(call), std::move(interrupt));
}

}  // namespace loadlab::db
