// SPDX-License-Identifier: Apache-2.0
#include "runtime/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace emqx_cpp::runtime {

duration backoff_policy::delay(int attempt, std::mt19937_64& rng) const {
  const double lo = static_cast<double>(min.count());
  const double hi = static_cast<double>(std::max(min, max).count());
  const double grown = lo * std::pow(std::max(1.0, factor), std::max(0, attempt - 1));
  double d = std::min(grown, hi);
  const double spread = std::clamp(jitter, 0.0, 1.0);
  if (spread > 0) {
    std::uniform_real_distribution<double> u(-spread, spread);
    d *= 1.0 + u(rng);
  }
  return duration(static_cast<duration::rep>(std::clamp(d, lo, hi)));
}

}  // namespace emqx_cpp::runtime
