// Worker threads for the threaded model (see worker_pool.hpp).
#include "http/worker_pool.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>

namespace loadlab::http {
namespace {

// Runs one handler coroutine on the worker's private context until it has produced a response.
Response run_to_completion(asio::io_context& worker, const Handler& handler,
                           RequestContext& context) {
  std::optional<Response> response;
  auto guard = asio::make_work_guard(worker);
  worker.restart();
  context.executor = worker.get_executor();
  asio::co_spawn(worker, handler(context),
                 [&response, &guard](const std::exception_ptr& error, Response result) {
                   if (!error) response.emplace(std::move(result));
                   guard.reset();
                 });
  worker.run();
  if (!response) return error_response(Status::internal_server_error, "handler failed");
  return std::move(*response);
}

template <class Completion>
class HandlerJob final : public WorkerPool::Job {
 public:
  HandlerJob(const Handler* handler, RequestContext* context, Completion completion)
      : handler_(handler), context_(context), completion_(std::move(completion)) {}

  void run(asio::io_context& worker_context) override {
    const asio::any_io_executor home = context_->executor;
    Response response = run_to_completion(worker_context, *handler_, *context_);
    context_->executor = home;
    auto executor = asio::get_associated_executor(completion_, home);
    asio::post(executor,
               [completion = std::move(completion_), result = std::move(response)]() mutable {
                 std::move(completion)(std::move(result));
               });
  }

 private:
  const Handler* handler_;
  RequestContext* context_;
  Completion completion_;
};

}  // namespace

WorkerPool::WorkerPool(int workers, metrics::Registry& registry)
    : workers_(workers < 1 ? 1 : workers),
      busy_gauge_(
          registry.gauge("http_worker_threads", "Worker threads of the threaded model", {"state"})
              .with({"busy"})),
      idle_gauge_(
          registry.gauge("http_worker_threads", "Worker threads of the threaded model", {"state"})
              .with({"idle"})),
      queue_gauge_(registry
                       .gauge("http_worker_queue_length",
                              "Requests waiting for a worker of the threaded model")
                       .with({})) {
  idle_gauge_.set(workers_);
  threads_.reserve(static_cast<std::size_t>(workers_));
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this, i] { work(i); });
}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::stop() {
  std::deque<std::unique_ptr<Job>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
    publish_gauges_locked();
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t WorkerPool::queue_length() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::submit(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // dropping the job abandons its awaiting connection at shutdown
    queue_.push_back(std::move(job));
    publish_gauges_locked();
  }
  wake_.notify_one();
}

void WorkerPool::publish_gauges_locked() {
  busy_gauge_.set(busy_);
  idle_gauge_.set(workers_ - busy_);
  queue_gauge_.set(static_cast<double>(queue_.size()));
}

void WorkerPool::work(int /*index*/) {
  asio::io_context private_context{1};
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      publish_gauges_locked();
    }
    job->run(private_context);
    job.reset();
    std::lock_guard lock(mutex_);
    --busy_;
    publish_gauges_locked();
  }
}

asio::awaitable<Response> WorkerPool::run(const Handler* handler, RequestContext* context) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
      [this, handler, context](auto completion) {
        using Completion = decltype(completion);
        submit(std::make_unique<HandlerJob<Completion>>(handler, context, std::move(completion)));
      },
      asio::use_awaitable);
}

}  // namespace loadlab::http
