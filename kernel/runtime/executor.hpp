// SPDX-License-Identifier: Apache-2.0
//
// An executor runs tasks one at a time on one thread and owns timers for them. Actors,
// supervisors and connections are bound to one executor, so their own state needs no
// lock. Two implementations exist: event_loop (a libevent event_base, used by I/O
// workers and dedicated threads) and manual_executor (deterministic, fake clock, tests).
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/clock.hpp"

namespace emqx_cpp::runtime {

using task = std::function<void()>;

// Identifies a scheduled timer; 0 never names a live timer.
using timer_id = std::uint64_t;

class executor {
 public:
  executor() = default;
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;
  virtual ~executor() = default;

  // Queue a task. Safe from any thread. Tasks posted from one thread run in order. Posts
  // that arrive while the executor is busy are run as one batch after a single wake-up.
  virtual void post(task t) = 0;

  // Run `t` once after `delay`. Call on the executor's own thread.
  virtual timer_id schedule(duration delay, task t) = 0;

  // Cancel a timer that has not fired yet. Returns false if it already fired or was
  // cancelled. Call on the executor's own thread.
  virtual bool cancel(timer_id id) = 0;

  // The executor's notion of now (a fake clock in tests).
  virtual steady_time now() const = 0;

  // True when called from the thread that runs this executor's tasks.
  virtual bool in_executor_thread() const = 0;
};

}  // namespace emqx_cpp::runtime
