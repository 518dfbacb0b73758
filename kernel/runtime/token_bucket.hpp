// SPDX-License-Identifier: Apache-2.0
//
// A token bucket for EMQX's rate limits ("100/s", "10MB/2s"): it holds at most one
// period's amount and refills continuously. Small enough not to warrant a library.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace emqx_cpp::runtime {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(std::uint64_t amount, std::uint64_t period_ms, clock::time_point now)
      : per_ns_(static_cast<double>(amount) / (static_cast<double>(period_ms) * 1e6)),
        capacity_(static_cast<double>(amount)),
        tokens_(capacity_),
        last_(now) {}

  // Takes `n` tokens if there are that many (a request larger than the bucket counts
  // as a full bucket, so it passes once the bucket is full). Otherwise takes nothing
  // and returns how long until there will be.
  std::chrono::nanoseconds take(double n, clock::time_point now) {
    refill(now);
    const double need = std::min(n, capacity_);
    if (tokens_ >= need) {
      tokens_ -= need;
      return std::chrono::nanoseconds(0);
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>((need - tokens_) / per_ns_) + 1);
  }

  // Returns tokens taken for something that then did not happen.
  void give_back(double n) { tokens_ = std::min(capacity_, tokens_ + n); }

 private:
  void refill(clock::time_point now) {
    const auto elapsed = std::chrono::duration<double, std::nano>(now - last_).count();
    if (elapsed > 0) tokens_ = std::min(capacity_, tokens_ + elapsed * per_ns_);
    last_ = now;
  }

  double per_ns_;
  double capacity_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace emqx_cpp::runtime
