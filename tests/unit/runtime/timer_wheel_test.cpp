// SPDX-License-Identifier: Apache-2.0
#include "runtime/timer_wheel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace emqx_cpp::runtime;
using namespace std::chrono_literals;

namespace {
struct named_hook : wheel_hook {
  int name = 0;
};

std::vector<int> advance(timer_wheel& w, timer_wheel::clock::time_point now) {
  std::vector<int> fired;
  w.advance(now, [&](wheel_hook& h) { fired.push_back(static_cast<named_hook&>(h).name); });
  return fired;
}
}  // namespace

TEST_CASE("timer wheel: a deadline fires at the first tick at or after it, never before") {
  const auto t0 = timer_wheel::clock::now();
  timer_wheel w(100ms, 16, t0);
  named_hook a;
  a.name = 1;
  w.arm(a, t0 + 250ms);
  CHECK(a.armed());
  CHECK(advance(w, t0 + 200ms).empty());
  CHECK(advance(w, t0 + 299ms).empty());
  CHECK(advance(w, t0 + 300ms) == std::vector<int>{1});
  CHECK_FALSE(a.armed());
  CHECK(w.size() == 0);
}

TEST_CASE("timer wheel: deadlines beyond one round wait for their round") {
  const auto t0 = timer_wheel::clock::now();
  timer_wheel w(100ms, 8, t0);  // one round is 800 ms
  named_hook near_one;
  named_hook far_one;
  near_one.name = 1;
  far_one.name = 2;
  w.arm(near_one, t0 + 300ms);
  w.arm(far_one, t0 + 1100ms);  // same slot as 300 ms, next round
  CHECK(advance(w, t0 + 500ms) == std::vector<int>{1});
  CHECK(advance(w, t0 + 1000ms).empty());
  CHECK(advance(w, t0 + 1100ms) == std::vector<int>{2});
}

TEST_CASE("timer wheel: re-arming moves a hook and disarming or destroying removes it") {
  const auto t0 = timer_wheel::clock::now();
  timer_wheel w(100ms, 16, t0);
  named_hook a;
  a.name = 1;
  w.arm(a, t0 + 200ms);
  w.arm(a, t0 + 600ms);
  CHECK(w.size() == 1);
  CHECK(advance(w, t0 + 500ms).empty());
  CHECK(advance(w, t0 + 600ms) == std::vector<int>{1});
  named_hook b;
  b.name = 2;
  w.arm(b, t0 + 700ms);
  b.disarm();
  CHECK(w.size() == 0);
  {
    named_hook c;
    c.name = 3;
    w.arm(c, t0 + 700ms);
  }
  CHECK(w.size() == 0);
  CHECK(advance(w, t0 + 900ms).empty());
}

TEST_CASE("timer wheel: a callback may re-arm its hook, also for a time already past") {
  const auto t0 = timer_wheel::clock::now();
  timer_wheel w(100ms, 16, t0);
  named_hook a;
  a.name = 1;
  w.arm(a, t0 + 100ms);
  int fired = 0;
  w.advance(t0 + 100ms, [&](wheel_hook& h) {
    ++fired;
    w.arm(h, t0);  // past: goes to the next tick, not this one again
  });
  CHECK(fired == 1);
  CHECK(a.armed());
  CHECK(advance(w, t0 + 200ms) == std::vector<int>{1});
}

TEST_CASE("timer wheel: after a stall longer than a round every due hook fires once") {
  const auto t0 = timer_wheel::clock::now();
  timer_wheel w(100ms, 4, t0);
  std::vector<named_hook> hooks(10);
  for (int i = 0; i < 10; ++i) {
    hooks[static_cast<std::size_t>(i)].name = i;
    w.arm(hooks[static_cast<std::size_t>(i)], t0 + std::chrono::milliseconds(100 * (i + 1)));
  }
  auto fired = advance(w, t0 + 5s);
  std::sort(fired.begin(), fired.end());
  CHECK(fired == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(w.size() == 0);
}

TEST_CASE("timer wheel: destroying the wheel leaves its hooks disarmed") {
  const auto t0 = timer_wheel::clock::now();
  named_hook a;
  {
    timer_wheel w(100ms, 4, t0);
    w.arm(a, t0 + 1s);
  }
  CHECK_FALSE(a.armed());
}
