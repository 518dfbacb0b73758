// SPDX-License-Identifier: Apache-2.0
//
// The result of one run and its two renderings: a few human-readable lines, and one
// JSON line that scripts/bench collects (the last line of standard output).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"
#include "worker.hpp"

namespace emqx_bench {

struct summary {
  const options* opts = nullptr;
  std::uint32_t publishers = 0;
  std::uint32_t subscribers = 0;
  std::uint32_t connections = 0;
  std::uint32_t window = 0;
  std::string pub_topic;
  std::string sub_topic;

  double connect_s = 0;  // first connect to last CONNACK/SUBACK
  double window_s = 0;   // the measured window (conn: the idle period)
  std::uint64_t sent_window = 0;
  std::uint64_t received_window = 0;
  std::uint64_t sent = 0;  // whole run
  std::uint64_t received = 0;
  std::uint64_t expected = 0;  // deliveries owed to in-process subscribers
  std::uint64_t unique = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint32_t publishers_with_loss = 0;
  std::uint32_t publishers_with_duplicates = 0;
  std::uint32_t publishers_with_reordering = 0;
  // The publishers with a finding, worst first (at most a handful, for the human output).
  struct publisher_finding {
    std::uint32_t id = 0;
    std::uint64_t owed = 0, unique = 0, lost = 0, duplicates = 0, reordered = 0;
  };
  std::vector<publisher_finding> findings;
  bool drained = true;  // every owed delivery and ack arrived before --drain ran out
  double drain_s = 0;
  std::uint64_t inflight_at_end = 0;

  histogram latency;
  worker_totals totals;

  double tool_cpu_s = 0;  // in the window
  double tool_cpu_total_s = 0;
  std::optional<double> broker_cpu_s;  // in the window
  std::optional<double> broker_cpu_total_s;
  std::optional<std::uint64_t> broker_rss_start_kb;  // before connecting
  std::optional<std::uint64_t> broker_rss_kb;        // conn: connected and idle; else end
  std::optional<std::uint64_t> broker_peak_rss_kb;   // the broker's highest RSS, at the end
};

void print_human(const summary& s, std::ostream& out);
void print_json(const summary& s, std::ostream& out);

}  // namespace emqx_bench
