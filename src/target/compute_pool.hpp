// Threads for CPU-bound work, so that a coroutine awaiting a computation holds no I/O thread.
// Naked on purpose: its queue is unbounded (protections bound admission in front of it).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace loadlab::target {

class ComputePool {
 public:
  explicit ComputePool(int threads);
  ~ComputePool();
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  // Runs work() on a pool thread and resumes the caller on its own executor with the result.
  template <class Work>
  boost::asio::awaitable<std::invoke_result_t<Work&>> run(Work work) {
    using Result = std::invoke_result_t<Work&>;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result)>(
        Initiation<Work>{this}, boost::asio::use_awaitable, std::move(work));
  }

  [[nodiscard]] int threads() const noexcept { return threads_; }
  // Asks the threads to end after the work they are running, without waiting for them.
  void request_stop() { pool_.stop(); }
  // Joins the threads; work not started yet is dropped (its callers never resume).
  void stop();

 private:
  template <class Work>
  struct Initiation {
    ComputePool* self;
    template <class Handler>
    void operator()(Handler handler, Work work) const {
      namespace asio = boost::asio;
      auto resume_on = asio::prefer(asio::get_associated_executor(handler),
                                    asio::execution::outstanding_work.tracked);
      asio::post(self->pool_, [handler = std::move(handler), work = std::move(work),
                               resume_on = std::move(resume_on)]() mutable {
        auto result = work();
        asio::post(resume_on, [handler = std::move(handler), result = std::move(result)]() mutable {
          std::move(handler)(std::move(result));
        });
      });
    }
  };

  int threads_;
  boost::asio::thread_pool pool_;
};

}  // namespace loadlab::target
