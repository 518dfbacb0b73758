// SPDX-License-Identifier: Apache-2.0
//
// host::timer_start through the fake host's manual clock: one-shot and repeating
// timers, cancellation by handle, by id, from inside the callback and from another
// thread, and the std::function's lifetime (kept until fired or cancelled, not longer).
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "scratch_plugin.hpp"

using emqx_cpp::sdk::timer;
using emqx_cpp::sdk::test::load_scratch;
using emqx_cpp::sdk::testing::fake_host;
using namespace std::chrono_literals;

TEST_CASE("a one-shot timer fires once at its time and then lets go of its function") {
  fake_host fake;
  auto& p = load_scratch(fake);
  auto alive = std::make_shared<int>(0);
  int fired = 0;
  timer t = p.host().timer_start(100ms, 0ms, [&fired, alive] { ++fired; });
  REQUIRE(t);
  CHECK(alive.use_count() == 2);
  fake.advance(99ms);
  CHECK(fired == 0);
  fake.advance(1ms);
  CHECK(fired == 1);
  fake.advance(1000ms);
  CHECK(fired == 1);
  CHECK(alive.use_count() == 1);  // freed when it fired
  t.cancel();                     // harmless afterwards
  CHECK(fake.timers().empty());
}

TEST_CASE("a repeating timer fires at delay, then every period") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<std::uint64_t> at;
  timer t = p.host().timer_start(100ms, 50ms, [&] { at.push_back(fake.now_ms()); });
  fake.advance(210ms);
  CHECK(at == std::vector<std::uint64_t>{100, 150, 200});
  t = timer{};  // assigning over a handle cancels its timer
  fake.advance(1s);
  CHECK(at.size() == 3);
  CHECK(fake.timers().empty());
}

TEST_CASE("destroying the handle cancels the timer but release() does not") {
  fake_host fake;
  auto& p = load_scratch(fake);
  auto alive = std::make_shared<int>(0);
  int fired = 0;
  {
    timer t = p.host().timer_start(10ms, 0ms, [&fired, alive] { ++fired; });
  }
  CHECK(alive.use_count() == 1);
  std::uint64_t id = 0;
  {
    timer t = p.host().timer_start(10ms, 10ms, [&fired] { ++fired; });
    id = t.release();
    CHECK_FALSE(t);
  }
  fake.advance(30ms);
  CHECK(fired == 3);
  CHECK(p.host().timer_cancel(id) == ECP_OK);
  CHECK(p.host().timer_cancel(id) == ECP_ERR_NOT_FOUND);
  fake.advance(30ms);
  CHECK(fired == 3);
}

TEST_CASE("a repeating timer can cancel itself from its own callback") {
  fake_host fake;
  auto& p = load_scratch(fake);
  int fired = 0;
  timer t;
  t = p.host().timer_start(1ms, 1ms, [&] {
    if (++fired == 3) t.cancel();
  });
  fake.advance(10ms);
  CHECK(fired == 3);
  CHECK(fake.timers().empty());
}

TEST_CASE("a cancel from another thread stops the timer and frees the function") {
  fake_host fake;
  auto& p = load_scratch(fake);
  auto alive = std::make_shared<int>(0);
  int fired = 0;
  timer t = p.host().timer_start(5ms, 5ms, [&fired, alive] { ++fired; });
  std::thread other{[&t] { t.cancel(); }};
  other.join();
  CHECK(alive.use_count() == 1);
  fake.advance(20ms);
  CHECK(fired == 0);
  // Later timers still work (and the retired slot is swept on this thread).
  timer again = p.host().timer_start(1ms, 0ms, [&fired] { ++fired; });
  fake.advance(1ms);
  CHECK(fired == 1);
}

TEST_CASE("a timer callback that throws is logged and fails the next health check") {
  fake_host fake;
  auto& p = load_scratch(fake);
  CHECK(fake.health() == ECP_OK);
  p.host().timer_start(1ms, 0ms, [] { throw std::runtime_error("tick failed"); }).release();
  fake.advance(1ms);
  CHECK(fake.logged(ECP_LOG_ERROR, "a timer callback threw: tick failed"));
  CHECK(p.host().crashed());
  CHECK(fake.health() == ECP_ERR_CRASHED);
}

TEST_CASE("timers die with the plugin") {
  fake_host fake;
  auto& p = load_scratch(fake);
  auto alive = std::make_shared<int>(0);
  p.host().timer_start(1h, 0ms, [alive] {}).release();
  CHECK(alive.use_count() == 2);
  fake.unload();
  CHECK(alive.use_count() == 1);
  CHECK(fake.timers().empty());
}

TEST_CASE("a timer that cannot start gives an empty handle") {
  fake_host fake;
  auto& p = load_scratch(fake);
  CHECK_FALSE(p.host().timer_start(1ms, 0ms, nullptr));
  emqx_cpp::sdk::host detached;
  CHECK_FALSE(detached.timer_start(1ms, 0ms, [] {}));
  CHECK(detached.timer_cancel(1) == ECP_ERR_WRONG_STATE);
}
