// SPDX-License-Identifier: Apache-2.0
//
// Exponential backoff with jitter between restarts. A child that keeps crashing is
// restarted after min, min*factor, min*factor^2 ... up to max, each delay spread by
// +/- jitter so that many children failing together do not restart in lockstep.
#pragma once

#include <cstdint>
#include <random>

#include "runtime/clock.hpp"

namespace emqx_cpp::runtime {

struct backoff_policy {
  duration min = milliseconds(100);
  duration max = seconds(30);
  double factor = 2.0;
  double jitter = 0.2;  // fraction of the delay, 0..1

  // Delay before restart number `attempt` (1 = first restart), always within [min, max].
  duration delay(int attempt, std::mt19937_64& rng) const;
};

}  // namespace emqx_cpp::runtime
