// SPDX-License-Identifier: Apache-2.0
//
// Time as the runtime sees it. Every timer and timestamp in the kernel goes through an
// executor, and every executor reads time from here, so unit tests can run on a fake
// clock that only moves when the test says so (no sleeps, no flakes).
#pragma once

#include <chrono>

namespace emqx_cpp::runtime {

using steady_time = std::chrono::steady_clock::time_point;
using duration = std::chrono::nanoseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline long long to_ms(duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace emqx_cpp::runtime
