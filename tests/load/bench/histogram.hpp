// SPDX-License-Identifier: Apache-2.0
//
// A latency histogram with log-linear buckets, in the manner of HdrHistogram: values
// below 2^sub_bits nanoseconds are exact, above that every power of two is split into
// 2^(sub_bits-1) equal buckets, so any recorded value is known to within 1/128 (0.8 %)
// and recording is a count-leading-zeros, a shift and an increment. Debian 12 packages
// no HdrHistogram for C or C++, and the part we need is this one file, so it is ours.
// Per-thread histograms are merged by adding their counts.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace emqx_bench {

class histogram {
 public:
  static constexpr unsigned sub_bits = 8;
  static constexpr std::uint64_t sub_count = 1ULL << sub_bits;              // 256
  static constexpr std::uint64_t half_count = sub_count / 2;                // 128
  static constexpr std::size_t bucket_count = half_count * 58 + sub_count;  // up to 2^64

  void record(std::uint64_t v) {
    ++counts_[index_of(v)];
    ++total_;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
    sum_ += v;
  }

  void merge(const histogram& o) {
    for (std::size_t i = 0; i < bucket_count; ++i)
      counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    if (o.max_ > max_) max_ = o.max_;
    if (o.min_ < min_) min_ = o.min_;
  }

  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return total_ ? max_ : 0; }
  std::uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const {
    return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0;
  }

  // The smallest recorded bucket value at or above the q-quantile (0 < q <= 1); the
  // upper edge of the bucket, so a percentile is never reported lower than it was.
  std::uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const std::uint64_t upper = upper_of(i);
        return upper < max_ ? upper : max_;
      }
    }
    return max_;
  }

  static std::size_t index_of(std::uint64_t v) {
    if (v < sub_count) return static_cast<std::size_t>(v);
    const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(v));
    const unsigned shift = msb - sub_bits + 1;  // >= 1; (v >> shift) is in [half, sub)
    return static_cast<std::size_t>(shift * half_count + (v >> shift));
  }

  // The largest value that falls into bucket i.
  static std::uint64_t upper_of(std::size_t i) {
    if (i < sub_count) return i;
    const std::uint64_t shift = (i - half_count) / half_count;
    const std::uint64_t mantissa = i - shift * half_count;
    return ((mantissa + 1) << shift) - 1;
  }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = ~0ULL;
};

}  // namespace emqx_bench
