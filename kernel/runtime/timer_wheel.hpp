// SPDX-License-Identifier: Apache-2.0
//
// A hashed timing wheel for deadlines that almost never fire: connection keepalive
// and the wait for CONNECT. Every connection has one, so each must cost nothing but
// the hook it embeds (24 bytes, no allocation), where a libevent timer costs an event
// and a callback of a few hundred bytes. Deadlines are rounded up to the wheel's tick.
//
// The owner calls advance() from a periodic timer; due hooks are unlinked before the
// callback runs, which may arm them again or destroy their owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace emqx_cpp::runtime {

class timer_wheel;

// Embedded in whatever has a deadline. Destroying an armed hook disarms it.
class wheel_hook {
 public:
  wheel_hook() = default;
  ~wheel_hook() { disarm(); }
  wheel_hook(const wheel_hook&) = delete;
  wheel_hook& operator=(const wheel_hook&) = delete;

  bool armed() const { return wheel_ != nullptr; }
  void disarm();

 private:
  friend class timer_wheel;
  timer_wheel* wheel_ = nullptr;
  wheel_hook* prev_ = nullptr;
  wheel_hook* next_ = nullptr;
  std::int64_t due_tick_ = 0;
};

class timer_wheel {
 public:
  using clock = std::chrono::steady_clock;

  timer_wheel(std::chrono::milliseconds tick, std::size_t slots, clock::time_point start);
  ~timer_wheel();
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // (Re)arms `h` to fire at the first tick at or after `due`.
  void arm(wheel_hook& h, clock::time_point due);
  // Fires every hook due at or before `now`, in tick order. The callback may arm or
  // disarm any hook and destroy the one it was given.
  void advance(clock::time_point now, const std::function<void(wheel_hook&)>& fire);

  std::size_t size() const { return armed_; }
  std::chrono::milliseconds tick() const { return tick_; }

 private:
  friend class wheel_hook;
  void unlink(wheel_hook& h);
  std::int64_t tick_of(clock::time_point t) const;

  std::chrono::milliseconds tick_;
  clock::time_point start_;
  std::int64_t current_ = 0;  // every tick before this one has fired
  std::vector<wheel_hook*> slots_;
  std::size_t armed_ = 0;
};

}  // namespace emqx_cpp::runtime
