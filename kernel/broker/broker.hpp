// SPDX-License-Identifier: Apache-2.0
//
// The broker: N I/O workers on their own threads, the listeners opened on each of them,
// and what the workers share (the retained store, the hook registry, the listener
// connection counts, the configuration). A client id always belongs to the same
// worker (a hash), so a session and every connection that uses it meet on one thread
// and takeover never moves session state between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "broker/hooks.hpp"
#include "broker/retainer.hpp"
#include "config/broker_config.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::broker {

class worker;
class sys_publisher;

struct listener_state {
  config::tcp_listener_config cfg;
  std::atomic<std::uint64_t> connections{0};
  std::uint16_t port = 0;
};

// Totals over every worker.
struct broker_stats {
  std::uint64_t connections = 0;
  std::uint64_t sessions = 0;
  std::uint64_t subscriptions = 0;
  std::uint64_t shared_subscriptions = 0;
  std::uint64_t routes = 0;
  std::uint64_t topics = 0;
  std::uint64_t retained = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_dropped = 0;
  std::uint64_t messages_retained = 0;
  std::uint64_t client_connected = 0;
  std::uint64_t client_disconnected = 0;
};

class broker {
 public:
  explicit broker(config::broker_config cfg);
  ~broker();
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  // Opens every listener on every worker and starts the worker threads.
  result<void> start();
  // Orderly stop: stop accepting, send v5 clients DISCONNECT 0x8B, flush, close, join.
  void stop();

  const config::broker_config& cfg() const { return cfg_; }
  std::size_t worker_count() const { return workers_.size(); }
  worker& worker_at(std::size_t i) { return *workers_[i]; }
  // The worker that owns sessions for `client_id`.
  std::uint16_t owner_of(std::string_view client_id) const;

  retainer& retained() { return retainer_; }
  hook_registry& hooks() { return hooks_; }
  listener_state& listener(std::size_t i) { return *listeners_[i]; }
  std::size_t listener_count() const { return listeners_.size(); }
  std::uint16_t bound_port(std::size_t i) const { return listeners_[i]->port; }

  const std::string& node_name() const { return cfg_.node.name; }
  std::uint64_t started_at_ms() const { return started_at_ms_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  broker_stats stats();

 private:
  config::broker_config cfg_;
  retainer retainer_;
  hook_registry hooks_;
  std::vector<std::unique_ptr<listener_state>> listeners_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<sys_publisher> sys_;
  std::uint64_t started_at_ms_ = 0;
  std::atomic<bool> stopping_{false};
  bool running_ = false;
};

}  // namespace emqx_cpp::broker
