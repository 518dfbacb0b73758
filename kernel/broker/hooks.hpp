// SPDX-License-Identifier: Apache-2.0
//
// The kernel's hook points, with EMQX's names and fold semantics: callbacks run in
// priority order (highest first) and each returns ignore (let the next decide) or a
// decision that stops the chain. This issue declares the two access-control points,
// client.authenticate and client.authorize; the plugin host adds the rest and the C
// ABI on top. Chains are swapped as whole immutable lists, so a worker reading one
// while a plugin is loaded never sees a half-built chain.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/types.hpp"

namespace emqx_cpp::broker {

struct client_info {
  std::string client_id;
  std::optional<std::string> username;
  std::string peer;
  mqtt::protocol_version version = mqtt::protocol_version::v5;
  std::string listener;
  bool is_superuser = false;
};

struct authn_outcome {
  enum class kind { ignore, allow, deny };
  kind what = kind::ignore;
  mqtt::reason_code code = mqtt::reason_code::not_authorized;  // for deny
  bool superuser = false;
};

enum class access_action { publish, subscribe };
enum class authz_outcome { ignore, allow, deny };

class hook_registry {
 public:
  using authenticate_fn =
      std::function<authn_outcome(const client_info&, const std::optional<std::string>& password)>;
  using authorize_fn = std::function<authz_outcome(
      const client_info&, access_action, std::string_view topic, std::uint8_t qos, bool retain)>;

  hook_registry();

  // Returns an id for remove_*.
  std::uint64_t add_authenticate(int priority, authenticate_fn fn);
  std::uint64_t add_authorize(int priority, authorize_fn fn);
  void remove(std::uint64_t id);

  bool has_authenticators() const;
  // client.authenticate: the first callback that does not ignore decides.
  authn_outcome authenticate(const client_info& c,
                             const std::optional<std::string>& password) const;
  // client.authorize: the first callback that does not ignore decides; all ignoring
  // (or none registered) is `ignore`, and the caller applies its no-match rule.
  authz_outcome authorize(const client_info& c, access_action a, std::string_view topic,
                          std::uint8_t qos, bool retain) const;

 private:
  struct authn_entry {
    std::uint64_t id;
    int priority;
    authenticate_fn fn;
  };
  struct authz_entry {
    std::uint64_t id;
    int priority;
    authorize_fn fn;
  };
  using authn_chain = std::vector<authn_entry>;
  using authz_chain = std::vector<authz_entry>;

  std::mutex write_mutex_;  // serialises changes; readers never take it
  std::shared_ptr<const authn_chain> authn_;
  std::shared_ptr<const authz_chain> authz_;
  std::uint64_t next_id_ = 1;
  // Lets the publish path skip the chain load entirely while no authorizer is loaded.
  std::atomic<std::size_t> authz_size_{0};
};

}  // namespace emqx_cpp::broker
