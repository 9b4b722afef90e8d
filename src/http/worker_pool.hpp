// The threaded execution model: a fixed pool of worker threads, each running one handler at a
// time to completion on its own private io_context (a timer or downstream wait holds the worker,
// as in gunicorn sync workers). Requests wait in a FIFO while every worker is busy.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/message.hpp"
#include "metrics/registry.hpp"

namespace loadlab::http {

class WorkerPool {
 public:
  WorkerPool(int workers, metrics::Registry& registry);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  // Runs (*handler)(*context) on a worker and resumes the caller on its own executor with the
  // response. Both pointees must outlive the call (they live in the awaiting connection).
  // context->executor is replaced by the worker's private executor for the handler's duration.
  asio::awaitable<Response> run(const Handler* handler, RequestContext* context);

  // Stops taking jobs, drops queued ones and joins the workers (the running handlers finish).
  void stop();

  [[nodiscard]] std::size_t queue_length() const;

  // A unit of work for a worker; type-erased because completion handlers are move-only.
  class Job {
   public:
    virtual ~Job() = default;
    virtual void run(asio::io_context& worker_context) = 0;
  };
  void submit(std::unique_ptr<Job> job);

 private:
  void work(int index);
  void publish_gauges_locked();

  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;
  int busy_ = 0;
  int workers_ = 0;
  bool stopping_ = false;
  metrics::Gauge& busy_gauge_;
  metrics::Gauge& idle_gauge_;
  metrics::Gauge& queue_gauge_;
};

}  // namespace loadlab::http
