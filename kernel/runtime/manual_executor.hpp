// SPDX-License-Identifier: Apache-2.0
//
// A deterministic executor for tests: tasks run only when the test calls run_ready(),
// and time moves only through advance(). Timer logic (backoff, health polling,
// keepalive) is therefore tested with no sleeps and the same result on every run.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "runtime/executor.hpp"

namespace emqx_cpp::runtime {

class manual_executor final : public executor {
 public:
  // Starts the fake clock at an arbitrary, fixed point so tests never see zero time.
  manual_executor();

  void post(task t) override;
  timer_id schedule(duration delay, task t) override;
  bool cancel(timer_id id) override;
  steady_time now() const override { return now_; }
  bool in_executor_thread() const override { return true; }

  // Runs posted tasks, including those they post, until none is left. Returns how many ran.
  std::size_t run_ready();

  // Moves the clock forward by `d`, firing due timers in deadline order and running the
  // tasks they post after each one.
  void advance(duration d);

  // Jumps to the next timer deadline and fires it. Returns false if no timer is pending.
  bool fire_next_timer();

  std::size_t pending_timers() const { return timers_.size(); }
  std::size_t pending_tasks() const;

 private:
  mutable std::mutex posted_mutex_;
  std::deque<task> posted_;
  steady_time now_;
  timer_id next_timer_ = 1;
  std::map<std::pair<steady_time, timer_id>, task> timers_;
  std::unordered_map<timer_id, steady_time> deadlines_;
};

}  // namespace emqx_cpp::runtime
