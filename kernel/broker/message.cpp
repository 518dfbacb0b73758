// SPDX-License-Identifier: Apache-2.0
#include "broker/message.hpp"

namespace emqx_cpp::broker {

std::uint32_t message::remaining_expiry(steady_clock::time_point now) const {
  if (expires_at == steady_clock::time_point{}) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - now).count();
  if (left <= 0) return 0;
  return static_cast<std::uint32_t>((left + 999) / 1000);
}

std::uint64_t wall_clock_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace emqx_cpp::broker
