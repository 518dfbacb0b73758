// SPDX-License-Identifier: Apache-2.0
//
// The kernel's own metric registry: counters, gauges and histograms with labels. The
// kernel records here and never depends on an exporter; the metrics plugin reads a
// snapshot and serves it (Prometheus text is built in for tests and the ctl tool).
// Lookups take a lock; hot paths look a metric up once and keep the reference, after
// which recording is a relaxed atomic operation.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emqx_cpp::runtime {

// Label pairs; the registry sorts them by name so {a,b} and {b,a} are one series.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

class counter_metric {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge_metric {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void inc(std::int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class histogram_metric {
 public:
  // `bounds` are the upper bounds of the buckets, ascending; +Inf is implicit.
  explicit histogram_metric(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then the +Inf count (= total count).
  std::vector<std::uint64_t> cumulative_counts() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum kept in millionths for a lock-free add
};

enum class metric_type { counter, gauge, histogram };

// One series in a snapshot.
struct metric_sample {
  metric_labels labels;
  double value = 0;                    // counter and gauge
  std::vector<double> bounds;          // histogram
  std::vector<std::uint64_t> buckets;  // histogram, cumulative, last = +Inf
  double sum = 0;                      // histogram
  std::uint64_t count = 0;             // histogram
};

struct metric_family {
  std::string name;
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<metric_sample> samples;
};

class metrics_registry {
 public:
  counter_metric& counter(std::string_view name, metric_labels labels = {},
                          std::string_view help = {});
  gauge_metric& gauge(std::string_view name, metric_labels labels = {}, std::string_view help = {});
  histogram_metric& histogram(std::string_view name, metric_labels labels,
                              std::vector<double> bounds, std::string_view help = {});

  // Current value of a counter or gauge series (a histogram gives its count), -1 when absent.
  // Meant for tests and status output, not for hot paths.
  double value_of(std::string_view name, metric_labels labels = {}) const;

  std::vector<metric_family> snapshot() const;

  // Prometheus text exposition format 0.0.4.
  std::string to_prometheus_text() const;

 private:
  struct series {
    std::unique_ptr<counter_metric> counter;
    std::unique_ptr<gauge_metric> gauge;
    std::unique_ptr<histogram_metric> histogram;
  };
  struct family {
    std::string help;
    metric_type type;
    std::map<metric_labels, series> by_labels;
  };
  family& family_for(std::string_view name, metric_type type, std::string_view help);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
};

}  // namespace emqx_cpp::runtime
