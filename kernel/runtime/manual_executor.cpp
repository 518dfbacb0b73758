// SPDX-License-Identifier: Apache-2.0
#include "runtime/manual_executor.hpp"

namespace emqx_cpp::runtime {

manual_executor::manual_executor() : now_(steady_time{} + std::chrono::hours(24)) {}

void manual_executor::post(task t) {
  std::lock_guard lock(posted_mutex_);
  posted_.push_back(std::move(t));
}

timer_id manual_executor::schedule(duration delay, task t) {
  if (delay < duration::zero()) delay = duration::zero();
  const timer_id id = next_timer_++;
  const steady_time deadline = now_ + delay;
  timers_.emplace(std::make_pair(deadline, id), std::move(t));
  deadlines_.emplace(id, deadline);
  return id;
}

bool manual_executor::cancel(timer_id id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  timers_.erase({it->second, id});
  deadlines_.erase(it);
  return true;
}

std::size_t manual_executor::pending_tasks() const {
  std::lock_guard lock(posted_mutex_);
  return posted_.size();
}

std::size_t manual_executor::run_ready() {
  std::size_t ran = 0;
  for (;;) {
    task next;
    {
      std::lock_guard lock(posted_mutex_);
      if (posted_.empty()) return ran;
      next = std::move(posted_.front());
      posted_.pop_front();
    }
    next();
    ++ran;
  }
}

bool manual_executor::fire_next_timer() {
  run_ready();
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  now_ = std::max(now_, it->first.first);
  task t = std::move(it->second);
  deadlines_.erase(it->first.second);
  timers_.erase(it);
  t();
  run_ready();
  return true;
}

void manual_executor::advance(duration d) {
  const steady_time target = now_ + d;
  run_ready();
  while (!timers_.empty() && timers_.begin()->first.first <= target)
    fire_next_timer();
  now_ = target;
  run_ready();
}

}  // namespace emqx_cpp::runtime
