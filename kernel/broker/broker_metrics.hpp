// SPDX-License-Identifier: Apache-2.0
//
// EMQX's names for what the broker counts: its global metrics (counters such as
// messages.received or delivery.dropped.queue_full) and its stats (gauges in pairs,
// connections.count and connections.max). One list serves $SYS (metrics/<a>/<b>,
// stats/<a>/<b>) and api_metrics_visit (the metrics plugin's Prometheus and REST
// exports), so the names cannot drift apart. Metrics reference: EMQX's emqx_metrics.erl
// and emqx_stats.erl.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "broker/session.hpp"

namespace emqx_cpp::broker {

// Totals over every worker, and the high-water marks of the gauges since start.
struct broker_stats {
  // gauges
  std::uint64_t connections = 0;
  std::uint64_t sessions = 0;
  std::uint64_t subscriptions = 0;
  std::uint64_t shared_subscriptions = 0;
  std::uint64_t routes = 0;
  std::uint64_t topics = 0;
  std::uint64_t retained = 0;
  std::uint64_t connections_max = 0;
  std::uint64_t sessions_max = 0;
  std::uint64_t subscriptions_max = 0;
  std::uint64_t shared_subscriptions_max = 0;
  std::uint64_t routes_max = 0;
  std::uint64_t topics_max = 0;
  std::uint64_t retained_max = 0;
  // counters
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t connack_auth_error = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_retained = 0;
  std::uint64_t messages_dropped = 0;
  std::uint64_t messages_dropped_no_subscribers = 0;
  std::uint64_t messages_dropped_await_pubrel_timeout = 0;
  std::uint64_t messages_dropped_receive_maximum = 0;
  std::uint64_t messages_forward = 0;
  std::uint64_t delivery_dropped = 0;
  std::uint64_t delivery_dropped_by[drop_reason_count] = {};
  std::uint64_t client_connected = 0;
  std::uint64_t client_disconnected = 0;
  std::uint64_t authorization_allow = 0;
  std::uint64_t authorization_deny = 0;
  std::uint64_t authorization_cache_hit = 0;
  std::uint64_t authorization_cache_miss = 0;
};

struct emqx_metric {
  std::string_view name;  // EMQX's dotted name
  bool gauge;             // a stat (X.count / X.max) rather than a counter
  std::uint64_t value;
};

// Every EMQX metric and stat the broker has a meaning for, from one snapshot.
std::vector<emqx_metric> emqx_metrics(const broker_stats& s);

}  // namespace emqx_cpp::broker
