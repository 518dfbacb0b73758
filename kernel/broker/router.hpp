// SPDX-License-Identifier: Apache-2.0
//
// The topic index: subscription filters in a trie keyed by topic level, with '+' and
// '#' children. Each I/O worker owns a full replica and matches publishes against it
// with no lock; a subscribe is applied to the subscriber's own worker at once and to
// the others as a route delta through their inboxes (docs/design/router.md).
//
// A route names a session by (worker, session id), never by pointer, so a replica can
// outlive or precede the session it points to; delivery resolves the id on the owning
// worker. A route can also name another node of the cluster (by its index in the
// broker's node table): that node has at least one subscriber for the filter, and the
// message is forwarded to it once however many of its filters match.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mqtt/packets.hpp"

namespace emqx_cpp::broker {

struct subscriber_ref {
  std::uint16_t worker = 0;
  std::uint64_t session_id = 0;
  bool operator==(const subscriber_ref&) const = default;
};

struct route {
  subscriber_ref who;
  mqtt::subscription_options opts;
  std::uint32_t subscription_id = 0;  // 0: none
};

// The members of one shared-subscription group on one filter, with the dispatch state
// the strategies keep (round-robin position, sticky choice).
struct share_group {
  std::string name;
  std::string filter;
  std::vector<route> members;
  std::size_t next = 0;  // round_robin position
  std::size_t sticky = SIZE_MAX;
};

class router {
 public:
  router();
  ~router();
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  // What a change did to the filter's local subscribers, for the cluster's routes.
  enum class change { none, added, first_local, removed, last_local };
  // Adds the route, or replaces the options of an existing one for the same session.
  // `group` is empty for a plain subscription. `first_local` when the filter had no
  // local subscriber before.
  change add(std::string_view filter, std::string_view group, const route& r);
  // Removes the route of `who`. `last_local` when it was the filter's last local one.
  change remove(std::string_view filter, std::string_view group, subscriber_ref who);

  // Another node subscribes to `filter` (or no longer does). Return true on a change.
  bool add_remote(std::string_view filter, std::uint16_t node);
  bool remove_remote(std::string_view filter, std::uint16_t node);
  // Forgets every route of `node`; returns how many.
  std::size_t remove_node(std::uint16_t node);
  // Every filter with a local subscriber (plain or shared), for a peer's full sync.
  void local_filters(std::vector<std::string>& out) const;

  // Calls on_route(const route&) for every plain subscription matching `topic`, and
  // on_group(share_group&) for every shared group with a matching filter. A template,
  // so the publish path pays for no std::function.
  template <class OnRoute, class OnGroup>
  void match(std::string_view topic, OnRoute&& on_route, OnGroup&& on_group) {
    match(topic, on_route, on_group, [](std::uint16_t) {});
  }
  // The same, with on_remote(std::uint16_t node) for every other node with a matching
  // filter (a node may be reported once per matching filter).
  template <class OnRoute, class OnGroup, class OnRemote>
  void match(std::string_view topic, OnRoute&& on_route, OnGroup&& on_group, OnRemote&& on_remote);

  // The shared group `group` on exactly `filter`, or nullptr.
  share_group* find_group(std::string_view filter, std::string_view group);

  // Read from other threads for $SYS stats, hence atomic; written by the owner only.
  std::size_t route_count() const { return routes_.load(std::memory_order_relaxed); }
  std::size_t filter_count() const { return filters_.load(std::memory_order_relaxed); }

 private:
  struct node;
  node* find_or_create(std::string_view filter);
  node* find(std::string_view filter) const;
  void prune(node* n);
  template <class OnRoute, class OnGroup, class OnRemote>
  void walk(node* n, std::size_t i, OnRoute& on_route, OnGroup& on_group, OnRemote& on_remote);
  void collect_filters(const node* n, std::string& prefix, std::vector<std::string>& out) const;
  std::size_t remove_node_from(node* n, std::uint16_t node_index);
  static void split_levels(std::string_view topic, std::vector<std::string_view>& out);

  std::unique_ptr<node> root_;
  std::atomic<std::size_t> routes_{0};
  std::atomic<std::size_t> filters_{0};
  std::vector<std::string_view> levels_;  // scratch, reused per match
};

namespace detail {
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
}  // namespace detail

struct router::node {
  node* parent = nullptr;
  std::string level;
  std::unordered_map<std::string, std::unique_ptr<node>, detail::string_hash, std::equal_to<>>
      children;
  std::unique_ptr<node> plus;
  std::unique_ptr<node> hash;
  std::vector<route> routes;
  std::vector<share_group> groups;
  std::vector<std::uint16_t> remotes;  // other nodes subscribing to this filter

  bool empty() const {
    return children.empty() && !plus && !hash && routes.empty() && groups.empty() &&
           remotes.empty();
  }
  bool has_local() const { return !routes.empty() || !groups.empty(); }
  bool has_subscribers() const { return has_local() || !remotes.empty(); }
};

template <class OnRoute, class OnGroup, class OnRemote>
void router::walk(node* n, std::size_t i, OnRoute& on_route, OnGroup& on_group,
                  OnRemote& on_remote) {
  // "a/#" also matches "a": the '#' child is collected at every level, the end included.
  // At the root, topics starting with '$' are not matched by wildcards [MQTT-4.7.2-1].
  const bool dollar_root = i == 0 && !levels_[0].empty() && levels_[0][0] == '$';
  auto collect = [&](node* c) {
    for (const auto& r : c->routes)
      on_route(r);
    for (auto& g : c->groups)
      on_group(g);
    for (const auto remote : c->remotes)
      on_remote(remote);
  };
  if (n->hash && !dollar_root) collect(n->hash.get());
  if (i == levels_.size()) {
    collect(n);
    return;
  }
  if (auto it = n->children.find(levels_[i]); it != n->children.end())
    walk(it->second.get(), i + 1, on_route, on_group, on_remote);
  if (n->plus && !dollar_root) walk(n->plus.get(), i + 1, on_route, on_group, on_remote);
}

template <class OnRoute, class OnGroup, class OnRemote>
void router::match(std::string_view topic, OnRoute&& on_route, OnGroup&& on_group,
                   OnRemote&& on_remote) {
  split_levels(topic, levels_);
  walk(root_.get(), 0, on_route, on_group, on_remote);
}

}  // namespace emqx_cpp::broker
