// SPDX-License-Identifier: Apache-2.0
//
// The bench payload: every message carries its send time, its publisher and its
// sequence number, so a subscriber can measure end-to-end latency and count loss,
// duplicates and reordering per publisher without any side channel. The tool and the
// broker run on the same machine, so CLOCK_MONOTONIC is a clock both ends share, even
// when publishers and subscribers are separate processes.
//
// Layout (host byte order; both ends are on the same machine):
//   [0, 8)   send time, CLOCK_MONOTONIC nanoseconds
//   [8, 12)  publisher id
//   [12, 20) sequence number, from 0 per publisher
//   [20, n)  padding up to --size
#pragma once

#include <time.h>

#include <cstdint>
#include <cstring>

namespace emqx_bench {

inline constexpr std::size_t stamp_size = 20;

inline std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

struct stamp {
  std::uint64_t sent_ns = 0;
  std::uint32_t publisher = 0;
  std::uint64_t seq = 0;
};

inline void write_stamp(std::uint8_t* p, const stamp& s) {
  std::memcpy(p, &s.sent_ns, 8);
  std::memcpy(p + 8, &s.publisher, 4);
  std::memcpy(p + 12, &s.seq, 8);
}

inline stamp read_stamp(const std::uint8_t* p) {
  stamp s;
  std::memcpy(&s.sent_ns, p, 8);
  std::memcpy(&s.publisher, p + 8, 4);
  std::memcpy(&s.seq, p + 12, 8);
  return s;
}

}  // namespace emqx_bench
