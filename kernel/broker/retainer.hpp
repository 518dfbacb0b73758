// SPDX-License-Identifier: Apache-2.0
//
// The in-memory retained-message store, shared by all workers. Retained publishes and
// subscribes touch it; ordinary publishes never do, so a reader-writer lock is enough.
// Lookup by an exact topic is a hash probe; a wildcard filter scans the store (EMQX's
// Mnesia backend indexes by level; an index comes when a benchmark asks for it).
#pragma once

#include <chrono>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "config/broker_config.hpp"

namespace emqx_cpp::broker {

class retainer {
 public:
  explicit retainer(const config::retainer_config& cfg) : cfg_(cfg) {}

  enum class store_result { stored, cleared, refused_too_large, refused_full, disabled };

  // Stores `m` as the retained message of its topic; an empty payload clears it.
  store_result store(const message_ptr& m);

  // Retained messages matching `filter` that have not expired.
  std::vector<message_ptr> match(std::string_view filter, steady_clock::time_point now) const;

  std::size_t size() const;
  // Removes expired messages; returns how many.
  std::size_t sweep(steady_clock::time_point now);

 private:
  config::retainer_config cfg_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, message_ptr> by_topic_;
};

}  // namespace emqx_cpp::broker
