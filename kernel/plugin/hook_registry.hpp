// SPDX-License-Identifier: Apache-2.0
//
// The hook chains: for each of EMQX's hook points, the callbacks registered through the
// plugin ABI, in priority order (highest first, then registration order). A chain is an
// immutable list swapped whole when a plugin registers or goes away, so workers read it
// without locks: each worker keeps a cache of the chains and refreshes it only when the
// registry's version moves (one relaxed atomic load per hook call otherwise).
//
// Unloading code that a worker might be running needs more than a swapped pointer: the
// plugin manager removes the hooks, then waits until every worker has passed through
// its event loop once (quiesce) before it calls dlclose.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "emqx_cpp/plugin.h"

namespace emqx_cpp::plugin {

// Who registered a hook, told when one of its callbacks reports a crash or a timeout.
class hook_owner {
 public:
  virtual ~hook_owner() = default;
  virtual const char* owner_name() const = 0;
  // False from the moment the owner starts unloading: its callbacks are skipped.
  virtual bool accepting() const = 0;
  // Called on the worker that saw it; must be thread-safe and not block.
  virtual void hook_failed(ecp_hook_point hook, const char* why) = 0;
};

struct hook_entry {
  std::uint64_t id = 0;
  std::int32_t priority = 0;
  std::uint64_t order = 0;  // registration order, for ties
  ecp_on_hook callback = nullptr;
  void* user_data = nullptr;
  std::shared_ptr<hook_owner> owner;
};

using hook_chain = std::vector<hook_entry>;

class hook_registry {
 public:
  hook_registry();

  // Returns the hook id (> 0), or 0 for a bad hook point or callback.
  std::uint64_t add(ecp_hook_point hook, std::int32_t priority, ecp_on_hook callback,
                    void* user_data, std::shared_ptr<hook_owner> owner);
  bool remove(std::uint64_t id);
  // Removes every hook of `owner`; returns how many.
  std::size_t remove_owner(const hook_owner* owner);

  std::shared_ptr<const hook_chain> chain(ecp_hook_point hook) const;
  bool empty(ecp_hook_point hook) const {
    return sizes_[index(hook)].load(std::memory_order_acquire) == 0;
  }
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  std::size_t size() const;

  static bool valid(ecp_hook_point hook) {
    return hook >= ECP_HOOK_CLIENT_CONNECT && hook <= ECP_HOOK_POINT_COUNT;
  }
  static std::size_t index(ecp_hook_point hook) { return static_cast<std::size_t>(hook) - 1; }

 private:
  mutable std::mutex mutex_;  // writers, and readers taking a fresh snapshot
  std::array<std::shared_ptr<const hook_chain>, ECP_HOOK_POINT_COUNT> chains_;
  std::array<std::atomic<std::size_t>, ECP_HOOK_POINT_COUNT> sizes_{};
  std::atomic<std::uint64_t> version_{1};
  std::uint64_t next_id_ = 1;
};

// A worker's view of the chains, refreshed when the registry changes.
class hook_cache {
 public:
  explicit hook_cache(const hook_registry& registry) : registry_(registry) {}

  bool empty(ecp_hook_point hook) const { return registry_.empty(hook); }
  const hook_chain& chain(ecp_hook_point hook);
  // A strong reference, for a chain that must survive until an async answer comes.
  std::shared_ptr<const hook_chain> shared_chain(ecp_hook_point hook);

 private:
  const hook_registry& registry_;
  std::uint64_t seen_ = 0;
  std::array<std::shared_ptr<const hook_chain>, ECP_HOOK_POINT_COUNT> chains_;
};

const char* hook_name(ecp_hook_point hook);

}  // namespace emqx_cpp::plugin
