// SPDX-License-Identifier: Apache-2.0
#include "runtime/event_loop.hpp"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>

#include <stdexcept>

#include "runtime/log.hpp"

namespace emqx_cpp::runtime {

namespace {
// libevent needs its locking callbacks installed once, before the first base exists,
// for event_active() and event_base_loopbreak() to be safe from other threads.
void enable_libevent_threads() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (evthread_use_pthreads() != 0) throw std::runtime_error("evthread_use_pthreads failed");
  });
}

timeval to_timeval(duration d) {
  if (d < duration::zero()) d = duration::zero();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}
}  // namespace

struct event_loop::timer_entry {
  event_loop* loop;
  timer_id id;
  task fn;
  ::event* ev;
};

event_loop::event_loop() {
  enable_libevent_threads();
  base_ = event_base_new();
  if (base_ == nullptr) throw std::runtime_error("event_base_new failed");
  // Events default to the middle priority; the lowest is for end-of-iteration work
  // (flushing every connection written to in this iteration at once).
  if (event_base_priority_init(base_, priority_levels) != 0)
    throw std::runtime_error("event_base_priority_init failed");
  wake_ = event_new(base_, -1, EV_PERSIST, &event_loop::on_wake, this);
  if (wake_ == nullptr) throw std::runtime_error("event_new failed for the wake event");
  // Posts made before run() must still be seen, so the wake event is always pending.
  event_add(wake_, nullptr);
  wake_later_ = event_new(base_, -1, 0, &event_loop::on_wake, this);
  if (wake_later_ == nullptr) throw std::runtime_error("event_new failed for the wake event");
  event_priority_set(wake_later_, end_of_iteration_priority);
}

event_loop::~event_loop() {
  for (auto& [id, entry] : timers_)
    event_free(entry->ev);
  timers_.clear();
  event_free(wake_);
  event_free(wake_later_);
  event_base_free(base_);
}

bool event_loop::in_executor_thread() const {
  return owner_.load(std::memory_order_acquire) == std::this_thread::get_id();
}

void event_loop::post(task t) {
  bool wake = false;
  {
    std::lock_guard lock(posted_mutex_);
    // While the loop drains, the end of the drain takes care of what arrives.
    wake = posted_.empty() && !draining_;
    posted_.push_back(std::move(t));
  }
  if (wake) event_active(wake_, EV_READ, 0);
}

void event_loop::on_wake(int /*fd*/, short /*what*/, void* self) {
  auto* loop = static_cast<event_loop*>(self);
  loop->drain_posted();
  // Breaking from inside the loop cannot be lost: a loopbreak sent from another thread
  // just before event_base_loop() starts would be cleared by it.
  if (loop->stop_requested_.load(std::memory_order_acquire)) event_base_loopbreak(loop->base_);
}

void event_loop::drain_posted() {
  std::vector<task> batch;
  {
    std::lock_guard lock(posted_mutex_);
    batch.swap(posted_);
    draining_ = true;
  }
  wakeups_.fetch_add(1, std::memory_order_relaxed);
  for (auto& t : batch)
    run_contained(t, "posted task");
  bool more = false;
  {
    std::lock_guard lock(posted_mutex_);
    draining_ = false;
    more = !posted_.empty();
  }
  // Tasks posted while draining (often in answer to the tasks just run: an asynchronous
  // hook answered at once) wait for the next iteration, after the sockets were polled
  // and the end-of-iteration work ran. Re-activating the wake event here instead would
  // run them in this same iteration, and a chain of such answers would keep the loop
  // from ever polling its sockets again until the chain ends.
  if (more) {
    const timeval now{0, 0};
    event_add(wake_later_, &now);
  }
}

void event_loop::run_contained(task& t, const char* what) {
  // The last line of defence: an exception must not unwind into libevent's C frames
  // (that ends the process). Owners of the work catch what they can attribute first.
  try {
    t();
  } catch (const std::exception& e) {
    logger_for("runtime")->error("task_failed kind=\"{}\" reason=\"{}\"", what, e.what());
  } catch (...) {
    logger_for("runtime")->error("task_failed kind=\"{}\" reason=\"unknown exception\"", what);
  }
}

timer_id event_loop::schedule(duration delay, task t) {
  const timer_id id = next_timer_++;
  auto entry = std::make_unique<timer_entry>(timer_entry{this, id, std::move(t), nullptr});
  entry->ev = event_new(base_, -1, 0, &event_loop::on_timer, entry.get());
  if (entry->ev == nullptr) throw std::runtime_error("event_new failed for a timer");
  const timeval tv = to_timeval(delay);
  event_add(entry->ev, &tv);
  timers_.emplace(id, std::move(entry));
  return id;
}

void event_loop::on_timer(int /*fd*/, short /*what*/, void* arg) {
  auto* entry = static_cast<timer_entry*>(arg);
  event_loop* loop = entry->loop;
  auto it = loop->timers_.find(entry->id);
  task fn = std::move(entry->fn);
  event_free(entry->ev);
  loop->timers_.erase(it);  // frees entry
  run_contained(fn, "timer");
}

bool event_loop::cancel(timer_id id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  event_free(it->second->ev);
  timers_.erase(it);
  return true;
}

void event_loop::run() {
  owner_.store(std::this_thread::get_id(), std::memory_order_release);
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY) != 0) break;
  }
  stop_requested_.store(false, std::memory_order_release);
  owner_.store(std::thread::id{}, std::memory_order_release);
}

void event_loop::stop() {
  stop_requested_.store(true, std::memory_order_release);
  event_active(wake_, EV_READ, 0);
}

thread_executor::thread_executor(std::string name) : name_(std::move(name)) {
  thread_ = std::thread([this] {
    // Linux limits thread names to 15 bytes; a longer name is cut, never refused.
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    loop_.run();
  });
}

thread_executor::~thread_executor() {
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace emqx_cpp::runtime
