// SPDX-License-Identifier: Apache-2.0
#include "runtime/backoff.hpp"

#include <doctest/doctest.h>

using namespace emqx_cpp::runtime;

TEST_CASE("jittered backoff stays within [min, max] for every attempt") {
  backoff_policy p{milliseconds(50), seconds(10), 3.0, 0.5};
  std::mt19937_64 rng(7);
  for (int attempt = 1; attempt < 40; ++attempt) {
    for (int i = 0; i < 50; ++i) {
      const auto d = p.delay(attempt, rng);
      CHECK(d >= p.min);
      CHECK(d <= p.max);
    }
  }
}

TEST_CASE("jitter spreads delays around the exponential curve") {
  backoff_policy p{milliseconds(100), seconds(60), 2.0, 0.2};
  std::mt19937_64 rng(1);
  duration lo = seconds(1000), hi = duration::zero();
  for (int i = 0; i < 200; ++i) {
    const auto d = p.delay(4, rng);  // centre 800 ms
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(lo >= milliseconds(640));
  CHECK(hi <= milliseconds(960));
  CHECK(hi - lo > milliseconds(100));  // it really spreads
}

TEST_CASE("without jitter the delay doubles and then holds at the cap") {
  backoff_policy p{milliseconds(10), milliseconds(70), 2.0, 0.0};
  std::mt19937_64 rng(1);
  CHECK(p.delay(1, rng) == milliseconds(10));
  CHECK(p.delay(2, rng) == milliseconds(20));
  CHECK(p.delay(3, rng) == milliseconds(40));
  CHECK(p.delay(4, rng) == milliseconds(70));
  CHECK(p.delay(0, rng) == milliseconds(10));
}
