// SPDX-License-Identifier: Apache-2.0
#include "runtime/event_loop.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace emqx_cpp::runtime;

TEST_CASE("tasks posted from many threads all run, each thread's in order") {
  thread_executor worker("loop-test");
  constexpr int per_thread = 2000;
  std::vector<std::vector<int>> seen(4);
  std::atomic<int> total{0};
  std::promise<void> all_done;
  std::vector<std::thread> producers;
  producers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        worker.loop().post([&, t, i] {
          seen[t].push_back(i);
          if (++total == 4 * per_thread) all_done.set_value();
        });
      }
    });
  }
  for (auto& p : producers)
    p.join();
  all_done.get_future().wait();
  for (const auto& s : seen) {
    REQUIRE(s.size() == per_thread);
    for (int i = 0; i < per_thread; ++i)
      CHECK(s[static_cast<std::size_t>(i)] == i);
  }
  CHECK(worker.loop().wakeups() <= static_cast<std::uint64_t>(4 * per_thread));
}

TEST_CASE("timers fire in deadline order and a cancelled timer never fires") {
  event_loop loop;
  std::vector<int> fired;
  loop.post([&] {
    CHECK(loop.in_executor_thread());
    loop.schedule(milliseconds(30), [&] {
      fired.push_back(30);
      loop.stop();
    });
    loop.schedule(milliseconds(10), [&] { fired.push_back(10); });
    const timer_id cancelled = loop.schedule(milliseconds(20), [&] { fired.push_back(20); });
    CHECK(loop.cancel(cancelled));
    CHECK_FALSE(loop.cancel(cancelled));
  });
  CHECK_FALSE(loop.in_executor_thread());
  loop.run();
  CHECK(fired == std::vector<int>{10, 30});
}

TEST_CASE("stop before run returns at once, and the loop can run again") {
  event_loop loop;
  loop.stop();
  loop.run();
  bool ran = false;
  loop.post([&] {
    ran = true;
    loop.stop();
  });
  loop.run();
  CHECK(ran);
}
