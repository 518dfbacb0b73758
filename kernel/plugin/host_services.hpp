// SPDX-License-Identifier: Apache-2.0
//
// What the plugin host needs from the broker, as an interface: kernel/plugin knows the
// plugin ABI and lifecycles, kernel/broker knows clients and messages, and neither
// reaches into the other's internals.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emqx_cpp/plugin.h"
#include "plugin/hook_registry.hpp"
#include "runtime/metrics.hpp"

namespace emqx_cpp::plugin {

struct client_snapshot {
  std::string client_id;
  std::optional<std::string> username;
  std::string peer;
  std::string listener;
  std::string listener_type = "tcp";
  std::uint8_t protocol_version = 5;
  bool is_superuser = false;
  bool clean_start = true;
  std::uint16_t keepalive = 0;
};

class host_services {
 public:
  virtual ~host_services() = default;

  // `props` (MQTT 5 properties) may be null.
  virtual ecp_status publish(std::string_view publisher, std::string_view topic,
                             std::string_view payload, std::uint8_t qos, bool retain,
                             const ecp_publish_properties* props) = 0;
  virtual ecp_status kick(const std::string& client_id) = 0;
  virtual ecp_status subscribe(const std::string& client_id, const std::string& filter,
                               std::uint8_t qos, bool no_local, bool retain_as_published,
                               std::uint8_t retain_handling) = 0;
  virtual std::optional<client_snapshot> client_info(const std::string& client_id) = 0;
  // authorization.cache: one client's (or, for an empty id, every client's) decisions go.
  virtual ecp_status clear_authz_cache(const std::string& client_id) = 0;

  // Providers replace the broker's in-memory defaults while their plugin is loaded.
  virtual ecp_status register_provider(const hook_owner* owner, ecp_provider_kind kind,
                                       const void* vtable, void* provider_state) = 0;
  virtual void unregister_providers(const hook_owner* owner) = 0;
  // api_provider_complete: answers a completion-style provider call of `owner`.
  virtual ecp_status provider_complete(const hook_owner* owner, std::uint64_t token,
                                       ecp_status status, std::string_view data) = 0;
  // The cluster transport's inbound side (api_cluster_routes, api_cluster_deliver,
  // api_cluster_peer); any thread. A delta is (filter, added).
  virtual ecp_status cluster_routes(const hook_owner* owner, std::string_view from_node,
                                    std::vector<std::pair<std::string, bool>> deltas) = 0;
  virtual ecp_status cluster_deliver(const hook_owner* owner, std::string_view from_node,
                                     std::string_view batch) = 0;
  virtual ecp_status cluster_peer(const hook_owner* owner, std::string_view node, bool up) = 0;

  // Returns once every I/O worker has finished what it was running when called, so code
  // removed from the hook chains is no longer executing anywhere.
  virtual void quiesce() = 0;

  virtual runtime::metrics_registry& metrics() = 0;
  // Every series of the node's metrics: EMQX's (from the broker's counters) and the
  // registry's (runtime, plugins), each handed to `each` once.
  virtual void visit_metrics(const std::function<void(const ecp_metric&)>& each) = 0;
  virtual const std::string& node_name() const = 0;
};

}  // namespace emqx_cpp::plugin
