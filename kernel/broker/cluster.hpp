// SPDX-License-Identifier: Apache-2.0
//
// The kernel's half of clustering (ECP_PROVIDER_CLUSTER_TRANSPORT). The kernel decides
// what goes where: this node's route changes (a filter got its first local subscriber
// or lost its last) go to every peer, in order; a published message goes once to each
// node with a matching route, batched per node per loop iteration; routes and messages
// from peers come in through the host API (api_cluster_routes, api_cluster_deliver).
// The transport plugin carries the bytes and owns membership, reliability and repair.
// A message keeps its origin node, is never forwarded again by the node that received
// it, and an id seen recently is not delivered twice.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/message.hpp"
#include "broker/providers.hpp"

namespace emqx_cpp::broker {

// Node names, interned: a route names a node by a small index, a message points to its
// origin's name. Index 0 is this node. Names are never freed.
class node_table {
 public:
  explicit node_table(std::string self);
  std::uint16_t intern(std::string_view name);
  // The interned name (stable address), or null for an unknown index.
  const std::string* name(std::uint16_t index) const;
  const std::string& self() const { return *names_.front(); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<std::string>> names_;
  std::unordered_map<std::string_view, std::uint16_t> index_;
};

// Message ids seen lately (at-least-once transports may repeat a batch): a bounded set,
// the oldest forgotten first.
class recent_ids {
 public:
  explicit recent_ids(std::size_t capacity) : capacity_(capacity) {}
  // True the first time `id` is seen.
  bool first_time(const message_id& id);

 private:
  struct hash {
    std::size_t operator()(const message_id& id) const;
  };
  std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_set<message_id, hash> seen_;
  std::deque<message_id> order_;
};

class cluster_transport_provider final : public provider_base {
 public:
  cluster_transport_provider(const ecp_cluster_transport_provider* vtable, void* state,
                             const plugin::hook_owner* owner, provider_calls& calls);
  static bool valid(const ecp_cluster_transport_provider* v);

  // All on the provider's thread, in the order called.
  void routes(std::vector<std::pair<std::string, bool>> deltas);  // (filter, added)
  void sync(std::string node, std::vector<std::string> filters);
  void forward(std::string node, std::string batch, std::uint8_t qos_max);

 private:
  const ecp_cluster_transport_provider* vtable_;
  void* state_;
};

}  // namespace emqx_cpp::broker
