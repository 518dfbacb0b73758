// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace emqx_cpp::runtime;

TEST_CASE("counters and gauges are per label set, in any label order") {
  metrics_registry m;
  auto& c = m.counter("requests_total", {{"b", "2"}, {"a", "1"}}, "Requests");
  c.inc();
  m.counter("requests_total", {{"a", "1"}, {"b", "2"}}).inc(4);
  CHECK(c.value() == 5);
  m.counter("requests_total", {{"a", "x"}}).inc();
  auto& g = m.gauge("depth", {{"actor", "x"}});
  g.set(7);
  g.inc(3);
  g.dec();
  CHECK(m.value_of("depth", {{"actor", "x"}}) == 9);
  CHECK(m.value_of("depth", {{"actor", "y"}}) == -1);
  CHECK(m.value_of("missing") == -1);
  CHECK_THROWS_AS(m.gauge("requests_total"), std::invalid_argument);
}

TEST_CASE("counters are exact under concurrent increments") {
  metrics_registry m;
  auto& c = m.counter("hits_total");
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i)
        c.inc();
    });
  for (auto& t : threads)
    t.join();
  CHECK(c.value() == 40000);
}

TEST_CASE("histograms count per bucket, cumulatively, with sum and count") {
  metrics_registry m;
  auto& h = m.histogram("latency_seconds", {}, {0.01, 0.1, 1.0});
  for (double v : {0.005, 0.05, 0.05, 0.5, 5.0})
    h.observe(v);
  auto counts = h.cumulative_counts();
  REQUIRE(counts.size() == 4);
  CHECK(counts[0] == 1);
  CHECK(counts[1] == 3);
  CHECK(counts[2] == 4);
  CHECK(counts[3] == 5);
  CHECK(h.count() == 5);
  CHECK(h.sum() == doctest::Approx(5.605));
  CHECK_THROWS_AS(histogram_metric({1.0, 0.5}), std::invalid_argument);
}

TEST_CASE("the Prometheus text has HELP, TYPE, escaped labels and histogram series") {
  metrics_registry m;
  m.counter("emqx_cpp_process_restarts_total", {{"child", "a\"b"}}, "Restarts").inc(2);
  m.gauge("emqx_cpp_mailbox_depth", {{"actor", "echo"}}).set(3);
  m.histogram("lat", {{"k", "v"}}, {0.5}).observe(0.25);
  const auto text = m.to_prometheus_text();
  CHECK(text.find("# HELP emqx_cpp_process_restarts_total Restarts\n") != std::string::npos);
  CHECK(text.find("# TYPE emqx_cpp_process_restarts_total counter\n") != std::string::npos);
  CHECK(text.find("emqx_cpp_process_restarts_total{child=\"a\\\"b\"} 2\n") != std::string::npos);
  CHECK(text.find("emqx_cpp_mailbox_depth{actor=\"echo\"} 3\n") != std::string::npos);
  CHECK(text.find("lat_bucket{k=\"v\",le=\"0.5\"} 1\n") != std::string::npos);
  CHECK(text.find("lat_bucket{k=\"v\",le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(text.find("lat_sum{k=\"v\"} 0.25\n") != std::string::npos);
  CHECK(text.find("lat_count{k=\"v\"} 1\n") != std::string::npos);
  auto snap = m.snapshot();
  CHECK(snap.size() == 3);
}
