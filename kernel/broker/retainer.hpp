// SPDX-License-Identifier: Apache-2.0
//
// The in-memory retained-message store, shared by all workers. Retained publishes and
// subscribes touch it; ordinary publishes never do, so a reader-writer lock is enough.
// Lookup by an exact topic is a hash probe; a wildcard filter scans the store (EMQX's
// Mnesia backend indexes by level; an index comes when a benchmark asks for it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "config/broker_config.hpp"

namespace emqx_cpp::broker {

// Where retained messages live. The broker uses the in-memory retainer below unless a
// plugin provides a store (ECP_PROVIDER_RETAINED_STORE).
class retained_store {
 public:
  enum class store_result { stored, cleared, refused_too_large, refused_full, disabled };

  // The matches of each filter, in the order of the filters.
  using match_done = std::function<void(std::vector<std::vector<message_ptr>>)>;

  virtual ~retained_store() = default;
  // Stores `m` as the retained message of its topic; an empty payload clears it.
  virtual store_result store(const message_ptr& m) = 0;
  // A store served by a plugin answers later, on another thread: it must not be asked
  // with match() on an I/O worker but with match_async().
  virtual bool asynchronous() const { return false; }
  // Retained messages matching `filter` that have not expired.
  virtual std::vector<message_ptr> match(std::string_view filter,
                                         steady_clock::time_point now) const = 0;
  // The same for several filters; `done` runs on the store's thread (at once for an
  // in-memory store).
  // By value: a store answering from its own thread takes both with it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void match_async(std::vector<std::string> filters, match_done done) {
    std::vector<std::vector<message_ptr>> out;
    out.reserve(filters.size());
    const auto now = steady_clock::now();
    for (const auto& f : filters)
      out.push_back(match(f, now));
    done(std::move(out));
  }
  virtual std::size_t size() const = 0;
  // Removes expired messages (retainer.msg_clear_interval); returns how many. A store
  // that expires messages by itself keeps the default.
  virtual std::size_t sweep(steady_clock::time_point /*now*/) { return 0; }
};

class retainer final : public retained_store {
 public:
  explicit retainer(const config::retainer_config& cfg) : cfg_(cfg) {}

  store_result store(const message_ptr& m) override;
  std::vector<message_ptr> match(std::string_view filter,
                                 steady_clock::time_point now) const override;
  std::size_t size() const override;
  std::size_t sweep(steady_clock::time_point now) override;

 private:
  config::retainer_config cfg_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, message_ptr> by_topic_;
};

}  // namespace emqx_cpp::broker
