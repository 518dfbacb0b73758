// SPDX-License-Identifier: Apache-2.0
//
// What one subscriber saw of one publisher's sequence numbers: how many arrived once,
// how many arrived again (duplicates), how many arrived after a later one (reordered)
// and how many are still missing. A ring of the last `window_bits` sequence numbers
// tells a late first arrival from a duplicate; anything older than the ring that
// arrives late counts as reordered (it cannot be told apart, and at that distance it
// is already a finding).
#pragma once

#include <array>
#include <cstdint>

namespace emqx_bench {

class sequence_tracker {
 public:
  static constexpr std::uint64_t window_bits = 4096;

  // Outcome of one arrival, for the caller's flow control: how many sequence numbers
  // this arrival settled (1 for a new in-order message, 1 + gap when it reveals a gap,
  // 0 for a late or duplicate arrival, whose slot was already settled).
  std::uint64_t on_message(std::uint64_t seq) {
    if (!started_) {
      started_ = true;
      // An in-process publisher starts at 0 after every subscriber is subscribed; a
      // foreign one (`sub` mode) may have started long before we joined.
      if (!expect_from_zero_) next_ = seq;
    }
    if (seq >= next_) {
      const std::uint64_t gap = seq - next_;
      if (gap >= window_bits) {
        bits_.fill(0);
      } else {
        for (std::uint64_t s = next_; s < seq; ++s)
          clear(s);
      }
      set(seq);
      missing_ += gap;
      next_ = seq + 1;
      ++unique_;
      return gap + 1;
    }
    if (next_ - seq > window_bits) {
      ++reordered_;
      ++unique_;
      if (missing_ > 0) --missing_;
      return 0;
    }
    if (test(seq)) {
      ++duplicates_;
      return 0;
    }
    set(seq);
    ++reordered_;
    ++unique_;
    if (missing_ > 0) --missing_;
    return 0;
  }

  void expect_from_zero(bool v) { expect_from_zero_ = v; }
  std::uint64_t unique() const { return unique_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t missing() const { return missing_; }
  std::uint64_t next() const { return next_; }

 private:
  void set(std::uint64_t s) { bits_[(s % window_bits) / 64] |= 1ULL << (s % 64); }
  void clear(std::uint64_t s) { bits_[(s % window_bits) / 64] &= ~(1ULL << (s % 64)); }
  bool test(std::uint64_t s) const { return (bits_[(s % window_bits) / 64] >> (s % 64)) & 1U; }

  std::array<std::uint64_t, window_bits / 64> bits_{};
  std::uint64_t next_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t missing_ = 0;
  bool started_ = false;
  bool expect_from_zero_ = true;
};

}  // namespace emqx_bench
