// SPDX-License-Identifier: Apache-2.0
//
// An executor on a libevent event_base. I/O workers run one each; a dedicated thread is
// an event_loop on its own std::thread (thread_executor). Cross-thread posts land in a
// locked vector and wake the loop once per batch: the first post into an empty queue
// activates the wake event, later posts ride along until the loop swaps the queue out.
// Posts made while the loop is draining are run in its next iteration, so tasks that
// post tasks cannot keep it from polling its sockets.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/executor.hpp"

struct event_base;
struct event;

namespace emqx_cpp::runtime {

class event_loop final : public executor {
 public:
  // libevent priorities on every loop: events get `default_priority` unless set;
  // `end_of_iteration_priority` runs only after all other active events.
  static constexpr int priority_levels = 3;
  static constexpr int default_priority = 1;
  static constexpr int end_of_iteration_priority = 2;

  event_loop();
  ~event_loop() override;

  // The underlying base, for listeners and bufferevents bound to this loop.
  ::event_base* base() const { return base_; }

  void post(task t) override;
  timer_id schedule(duration delay, task t) override;
  bool cancel(timer_id id) override;
  steady_time now() const override { return std::chrono::steady_clock::now(); }
  bool in_executor_thread() const override;

  // Runs the loop on the calling thread until stop(). Returns after stop() is seen.
  void run();
  // Asks the loop to return from run(). Safe from any thread and from inside a task.
  void stop();

  // Number of wake-ups that drained posted tasks; tests use it to prove batching.
  std::uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

 private:
  struct timer_entry;
  static void on_wake(int fd, short what, void* self);
  static void on_timer(int fd, short what, void* entry);
  void drain_posted();
  static void run_contained(task& t, const char* what);

  ::event_base* base_ = nullptr;
  ::event* wake_ = nullptr;
  ::event* wake_later_ = nullptr;  // drains tasks posted during a drain, one iteration later
  std::mutex posted_mutex_;
  std::vector<task> posted_;
  bool draining_ = false;  // under posted_mutex_
  std::atomic<std::thread::id> owner_{};
  std::atomic<std::uint64_t> wakeups_{0};
  std::atomic<bool> stop_requested_{false};
  timer_id next_timer_ = 1;
  std::unordered_map<timer_id, std::unique_ptr<timer_entry>> timers_;
};

// A dedicated thread that runs its own event_loop. Stops and joins on destruction.
class thread_executor {
 public:
  explicit thread_executor(std::string name);
  ~thread_executor();
  thread_executor(const thread_executor&) = delete;
  thread_executor& operator=(const thread_executor&) = delete;

  event_loop& loop() { return loop_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  event_loop loop_;
  std::thread thread_;
};

}  // namespace emqx_cpp::runtime
