// SPDX-License-Identifier: Apache-2.0
//
// The broker's side of the cluster transport: this node's route changes out, in the
// order replica 0 saw them; peers' route changes into every router replica; messages
// from peers onto a worker (chosen by topic, so one topic keeps its order), delivered
// to local subscribers only; a peer that comes up gets every local route, one that
// goes loses its routes here.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/session_codec.hpp"
#include "broker/worker.hpp"
#include "mqtt/topic.hpp"
#include "runtime/log.hpp"

namespace emqx_cpp::broker {

void broker::route_changed(const std::string& filter, bool added) {
  std::lock_guard lock(route_changes_mutex_);
  route_changes_.emplace_back(filter, added);
  route_changes_pending_.store(true, std::memory_order_release);
}

void broker::flush_route_changes() {
  if (!route_changes_pending_.load(std::memory_order_acquire)) return;
  // Taken and handed to the transport's thread under the one lock, so batches flushed by
  // two workers at once reach it in the order the changes were made.
  std::lock_guard lock(route_changes_mutex_);
  route_changes_pending_.store(false, std::memory_order_release);
  if (route_changes_.empty()) return;
  std::vector<std::pair<std::string, bool>> changes;
  changes.swap(route_changes_);
  if (auto* c = cluster()) c->routes(std::move(changes));
}

ecp_status broker::cluster_routes(const plugin::hook_owner* /*owner*/, std::string_view from_node,
                                  std::vector<std::pair<std::string, bool>> deltas) {
  if (from_node.empty() || from_node == nodes_.self()) return ECP_ERR_INVALID_ARGUMENT;
  const std::uint16_t node = nodes_.intern(from_node);
  for (const auto& [filter, added] : deltas) {
    auto parsed = mqtt::parse_filter(filter);
    if (!parsed || parsed->shared() || !mqtt::valid_topic_filter(parsed->filter))
      return ECP_ERR_INVALID_ARGUMENT;
  }
  for (auto& w : workers_)
    for (const auto& [filter, added] : deltas)
      w->remote_route(filter, node, added);
  auto log = runtime::logger_for("cluster");
  for (const auto& [filter, added] : deltas)
    log->debug("cluster_route_{} node={} filter={}", added ? "added" : "deleted", from_node,
               filter);
  return ECP_OK;
}

ecp_status broker::cluster_deliver(const plugin::hook_owner* /*owner*/, std::string_view from_node,
                                   std::string_view batch) {
  if (!running_ || stopping()) return ECP_ERR_WRONG_STATE;
  if (from_node.empty() || from_node == nodes_.self()) return ECP_ERR_INVALID_ARGUMENT;
  std::string why;
  auto messages = decode_forward_batch(batch, &why);
  if (!messages) {
    runtime::logger_for("cluster")->warn("cluster_batch_unreadable node={} reason=\"{}\"",
                                         from_node, why);
    return ECP_ERR_INVALID_ARGUMENT;
  }
  const std::string* origin = nodes_.name(nodes_.intern(from_node));
  for (auto& m : *messages) {
    if (!recent_.first_time(m->id)) continue;  // a batch the transport sent twice
    auto owned = std::const_pointer_cast<message>(m);
    owned->origin = origin;
    // One topic, one worker: messages of a topic from one node keep their order.
    worker& w = *workers_[std::hash<std::string_view>{}(owned->topic) % workers_.size()];
    w.loop().post([&w, owned] {
      w.contained(nullptr, "cluster", [&](channel*) { w.publish(owned); });
      w.request_flush();
    });
  }
  return ECP_OK;
}

ecp_status broker::cluster_peer(const plugin::hook_owner* /*owner*/, std::string_view node,
                                bool up) {
  if (node.empty() || node == nodes_.self()) return ECP_ERR_INVALID_ARGUMENT;
  const std::uint16_t index = nodes_.intern(node);
  auto log = runtime::logger_for("cluster");
  if (up) {
    std::vector<std::string> filters;
    workers_.front()->local_filters(filters);
    log->info("cluster_peer_up node={} routes_sent={}", node, filters.size());
    if (auto* c = cluster()) c->sync(std::string(node), std::move(filters));
    return ECP_OK;
  }
  std::size_t forgotten = 0;
  for (auto& w : workers_) {
    const std::size_t n = w->forget_node(index);
    if (w.get() == workers_.front().get()) forgotten = n;  // every replica holds the same
  }
  log->info("cluster_peer_down node={} routes_forgotten={}", node, forgotten);
  return ECP_OK;
}

}  // namespace emqx_cpp::broker
