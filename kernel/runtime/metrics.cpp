// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace emqx_cpp::runtime {

namespace {
metric_labels sorted(metric_labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

const char* type_name(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_labels(const metric_labels& labels, std::string_view extra_name = {},
                          std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{}=\"{}\"", k, escape_label(v));
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  out += '}';
  return out;
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}
}  // namespace

histogram_metric::histogram_metric(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()))
    throw std::invalid_argument("histogram bounds must be ascending");
}

void histogram_metric::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double micros = std::max(0.0, v) * 1e6;
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(micros)),
                        std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram_metric::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double histogram_metric::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

metrics_registry::family& metrics_registry::family_for(std::string_view name, metric_type type,
                                                       std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), family{std::string(help), type, {}}).first;
  } else if (it->second.type != type) {
    throw std::invalid_argument(fmt::format("metric {} is a {}, not a {}", name,
                                            type_name(it->second.type), type_name(type)));
  }
  if (it->second.help.empty() && !help.empty()) it->second.help = std::string(help);
  return it->second;
}

counter_metric& metrics_registry::counter(std::string_view name, metric_labels labels,
                                          std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& s = family_for(name, metric_type::counter, help).by_labels[sorted(std::move(labels))];
  if (!s.counter) s.counter = std::make_unique<counter_metric>();
  return *s.counter;
}

gauge_metric& metrics_registry::gauge(std::string_view name, metric_labels labels,
                                      std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& s = family_for(name, metric_type::gauge, help).by_labels[sorted(std::move(labels))];
  if (!s.gauge) s.gauge = std::make_unique<gauge_metric>();
  return *s.gauge;
}

histogram_metric& metrics_registry::histogram(std::string_view name, metric_labels labels,
                                              std::vector<double> bounds, std::string_view help) {
  std::lock_guard lock(mutex_);
  auto& s = family_for(name, metric_type::histogram, help).by_labels[sorted(std::move(labels))];
  if (!s.histogram) s.histogram = std::make_unique<histogram_metric>(std::move(bounds));
  return *s.histogram;
}

double metrics_registry::value_of(std::string_view name, metric_labels labels) const {
  std::lock_guard lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end()) return -1;
  auto s = f->second.by_labels.find(sorted(std::move(labels)));
  if (s == f->second.by_labels.end()) return -1;
  if (s->second.counter) return static_cast<double>(s->second.counter->value());
  if (s->second.gauge) return static_cast<double>(s->second.gauge->value());
  if (s->second.histogram) return static_cast<double>(s->second.histogram->count());
  return -1;
}

std::vector<metric_family> metrics_registry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<metric_family> out;
  out.reserve(families_.size());
  for (const auto& [name, fam] : families_) {
    metric_family mf{name, fam.help, fam.type, {}};
    for (const auto& [labels, s] : fam.by_labels) {
      metric_sample sample;
      sample.labels = labels;
      if (s.counter) sample.value = static_cast<double>(s.counter->value());
      if (s.gauge) sample.value = static_cast<double>(s.gauge->value());
      if (s.histogram) {
        sample.bounds = s.histogram->bounds();
        sample.buckets = s.histogram->cumulative_counts();
        sample.sum = s.histogram->sum();
        sample.count = s.histogram->count();
      }
      mf.samples.push_back(std::move(sample));
    }
    out.push_back(std::move(mf));
  }
  return out;
}

std::string metrics_registry::to_prometheus_text() const {
  std::string out;
  for (const auto& fam : snapshot()) {
    if (!fam.help.empty()) out += fmt::format("# HELP {} {}\n", fam.name, fam.help);
    out += fmt::format("# TYPE {} {}\n", fam.name, type_name(fam.type));
    for (const auto& s : fam.samples) {
      if (fam.type != metric_type::histogram) {
        out += fmt::format("{}{} {}\n", fam.name, render_labels(s.labels), format_number(s.value));
        continue;
      }
      for (std::size_t i = 0; i < s.buckets.size(); ++i) {
        const double le = i < s.bounds.size() ? s.bounds[i] : INFINITY;
        out += fmt::format("{}_bucket{} {}\n", fam.name,
                           render_labels(s.labels, "le", format_number(le)), s.buckets[i]);
      }
      out += fmt::format("{}_sum{} {}\n", fam.name, render_labels(s.labels), format_number(s.sum));
      out += fmt::format("{}_count{} {}\n", fam.name, render_labels(s.labels), s.count);
    }
  }
  return out;
}

}  // namespace emqx_cpp::runtime
