// SPDX-License-Identifier: Apache-2.0
//
// Who holds each $exclusive/<filter> subscription (mqtt.exclusive_subscription, as
// EMQX): one client per filter across the node; a second client gets SUBACK 0x97. The
// holder keeps it until it unsubscribes or its session ends. Shared by every worker,
// touched only by exclusive subscribes, so one mutex is enough.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace emqx_cpp::broker {

class exclusive_registry {
 public:
  // True when `client_id` holds `filter` now: it held it already, or took it free.
  bool claim(const std::string& filter, const std::string& client_id) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = holders_.try_emplace(filter, client_id);
    return inserted || it->second == client_id;
  }
  // Gives `filter` up if `client_id` holds it.
  void release(const std::string& filter, const std::string& client_id) {
    std::lock_guard lock(mutex_);
    auto it = holders_.find(filter);
    if (it != holders_.end() && it->second == client_id) holders_.erase(it);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::string> holders_;
};

}  // namespace emqx_cpp::broker
