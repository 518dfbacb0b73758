// SPDX-License-Identifier: Apache-2.0
//
// Polls a condition until it holds or the time is up, for effects a test can only
// observe from outside the broker (a plugin restarted, a log line written).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace emqx_cpp::testing {

inline bool eventually(const std::function<bool()>& f,
                       std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

}  // namespace emqx_cpp::testing
