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

#include <mutex>
#include <unordered_map>

#include "broker/broker_metrics.hpp"
#include "broker/client_info.hpp"
#include "broker/cluster.hpp"
#include "broker/exclusive_registry.hpp"
#include "broker/memory_guard.hpp"
#include "broker/providers.hpp"
#include "broker/retainer.hpp"
#include "broker/session_registry.hpp"
#include "config/broker_config.hpp"
#include "plugin/async_calls.hpp"
#include "plugin/hook_registry.hpp"
#include "plugin/host_services.hpp"
#include "runtime/metrics.hpp"
#include "runtime/result.hpp"
#include "runtime/token_bucket.hpp"

namespace emqx_cpp::broker {

class worker;
class sys_publisher;

struct listener_state {
  config::tcp_listener_config cfg;
  std::string id;  // "<type>:<name>", as EMQX names listeners
  std::atomic<std::uint64_t> connections{0};
  std::uint16_t port = 0;
  // max_conn_rate: 0 when a connection may be accepted now (it takes a token), else how
  // long to wait. One bucket for the sockets every worker has on this listener.
  std::chrono::nanoseconds admit() {
    if (!cfg.max_conn_rate.limited()) return std::chrono::nanoseconds(0);
    std::lock_guard lock(conn_rate_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!conn_rate_) conn_rate_.emplace(cfg.max_conn_rate.amount, cfg.max_conn_rate.period_ms, now);
    return conn_rate_->take(1, now);
  }

 private:
  std::mutex conn_rate_mutex_;
  std::optional<runtime::token_bucket> conn_rate_;
};

class broker final : public plugin::host_services {
 public:
  broker(config::broker_config cfg, runtime::metrics_registry& metrics);
  ~broker() override;
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;

  // Starts the worker threads (no listener yet: plugins load first).
  result<void> start();
  // Opens every listener on every worker.
  result<void> open_listeners();
  // Closes the listeners, disconnects every client (DISCONNECT 0x8B for MQTT 5) and
  // saves every persistent session to the session store, if one is there; waits
  // (bounded by plugins.hook_timeout) until they are written.
  void close_and_save();
  // Orderly stop: stop accepting, send v5 clients DISCONNECT 0x8B, flush, close, join.
  void stop();

  const config::broker_config& cfg() const { return cfg_; }
  std::size_t worker_count() const { return workers_.size(); }
  // Over the memory budget (overload_protection): no new connections, no PUBLISH read.
  bool overloaded() const { return memory_.overloaded(); }
  worker& worker_at(std::size_t i) { return *workers_[i]; }
  // The worker that owns sessions for `client_id` (session_registry).
  std::uint16_t owner_of(std::string_view client_id) const;

  // The retained store in use: the in-memory one, or a plugin's while it provides one.
  retained_store& retained() { return *retained_.load(std::memory_order_acquire); }
  // The provided session store, or nullptr (sessions then live in memory only).
  session_store_provider* session_store() { return sessions_.load(std::memory_order_acquire); }
  plugin::hook_registry& hook_registry() { return hooks_; }
  exclusive_registry& exclusive() { return exclusive_; }
  // authorization.cache: connections drop decisions cached before the current epoch.
  std::uint64_t authz_epoch() const { return authz_epoch_.load(std::memory_order_acquire); }
  plugin::async_calls& async_calls() { return calls_; }

  // plugin::host_services
  ecp_status publish(std::string_view publisher, std::string_view topic, std::string_view payload,
                     std::uint8_t qos, bool retain, const ecp_publish_properties* props) override;
  ecp_status kick(const std::string& client_id) override;
  ecp_status subscribe(const std::string& client_id, const std::string& filter, std::uint8_t qos,
                       bool no_local, bool retain_as_published,
                       std::uint8_t retain_handling) override;
  std::optional<plugin::client_snapshot> client_info(const std::string& client_id) override;
  // Empties the authorization cache of one client, or of every client (empty id).
  ecp_status clear_authz_cache(const std::string& client_id) override;
  ecp_status register_provider(const plugin::hook_owner* owner, ecp_provider_kind kind,
                               const void* vtable, void* provider_state) override;
  void unregister_providers(const plugin::hook_owner* owner) override;
  ecp_status provider_complete(const plugin::hook_owner* owner, std::uint64_t token,
                               ecp_status status, std::string_view data) override;
  ecp_status cluster_routes(const plugin::hook_owner* owner, std::string_view from_node,
                            std::vector<std::pair<std::string, bool>> deltas) override;
  ecp_status cluster_deliver(const plugin::hook_owner* owner, std::string_view from_node,
                             std::string_view batch) override;
  ecp_status cluster_peer(const plugin::hook_owner* owner, std::string_view node, bool up) override;

  // ---- the cluster (broker_cluster.cpp) ----
  cluster_transport_provider* cluster() { return cluster_.load(std::memory_order_acquire); }
  node_table& nodes() { return nodes_; }
  // A filter got its first local subscriber (`added`) or lost its last: queued for the
  // peers, in the order of the calls (made under the first router replica's lock).
  void route_changed(const std::string& filter, bool added);
  // Sends the queued route changes to the transport (any worker, end of iteration).
  void flush_route_changes();
  void quiesce() override;
  runtime::metrics_registry& metrics() override { return metrics_; }
  void visit_metrics(const std::function<void(const ecp_metric&)>& each) override;
  listener_state& listener(std::size_t i) { return *listeners_[i]; }
  std::size_t listener_count() const { return listeners_.size(); }
  std::uint16_t bound_port(std::size_t i) const { return listeners_[i]->port; }

  const std::string& node_name() const override { return cfg_.node.name; }
  std::uint64_t started_at_ms() const { return started_at_ms_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Totals over every worker now, with the gauges' high-water marks. Any thread.
  broker_stats stats();

 private:
  // retainer.msg_clear_interval: removes expired retained messages, then re-arms.
  void sweep_retained();
  void on_every_worker(const std::function<void(worker&)>& f);
  // A session store just registered: its sessions come back to their workers.
  void restore_stored_sessions(session_store_provider& store);
  ecp_status register_cluster_transport(const plugin::hook_owner* owner, const void* vtable,
                                        void* provider_state);

  config::broker_config cfg_;
  runtime::metrics_registry& metrics_;
  retainer retainer_;
  std::atomic<retained_store*> retained_{&retainer_};
  std::atomic<session_store_provider*> sessions_{nullptr};
  std::atomic<cluster_transport_provider*> cluster_{nullptr};
  node_table nodes_;
  session_registry registry_{1};  // client id -> node, worker
  recent_ids recent_{100000};     // message ids received from peers lately
  std::mutex route_changes_mutex_;
  std::vector<std::pair<std::string, bool>> route_changes_;
  std::atomic<bool> route_changes_pending_{false};
  provider_calls calls_for_providers_;
  plugin::hook_registry hooks_;
  plugin::async_calls calls_;
  exclusive_registry exclusive_;
  std::atomic<std::uint64_t> authz_epoch_{1};
  std::mutex stats_mutex_;
  broker_stats highs_;  // high-water marks of the gauges, under stats_mutex_
  struct provider {
    const plugin::hook_owner* owner = nullptr;
    ecp_provider_kind kind = ECP_PROVIDER_RETAINED_STORE;
    std::unique_ptr<retained_store_provider> retained;
    std::unique_ptr<session_store_provider> sessions;
    std::unique_ptr<cluster_transport_provider> cluster;
  };
  std::mutex providers_mutex_;
  std::vector<provider> providers_;
  std::vector<std::unique_ptr<listener_state>> listeners_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<sys_publisher> sys_;
  memory_guard memory_{*this};
  std::uint64_t started_at_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
};

}  // namespace emqx_cpp::broker
