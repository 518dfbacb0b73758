// SPDX-License-Identifier: Apache-2.0
//
// A connection's cache of authorization decisions (EMQX's authorization.cache): the
// answer of the client.authorize chain for an action (publish or subscribe, QoS,
// retain) on a topic, kept for `ttl`, at most `max_size` of them (the oldest gives
// way). It is only valid for the chain it was filled from and up to the node's clear
// epoch: a new chain (a plugin loaded, reloaded or unloaded) or a clear through the
// plugin API empties it on the next lookup.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace emqx_cpp::broker {

class authz_cache {
 public:
  using clock = std::chrono::steady_clock;

  // The key of a decision: what was asked about which topic.
  static std::string key(int action, std::uint8_t qos, bool retain, std::string_view topic) {
    std::string k;
    k.reserve(topic.size() + 3);
    k.push_back(static_cast<char>('0' + action));
    k.push_back(static_cast<char>('0' + qos));
    k.push_back(retain ? 'r' : '-');
    k.append(topic);
    return k;
  }

  // The cached decision, if fresh and made under `chain` and `epoch`.
  std::optional<bool> find(const std::string& k, const void* chain, std::uint64_t epoch,
                           clock::time_point now) {
    if (chain != chain_ || epoch != epoch_) {
      clear();
      chain_ = chain;
      epoch_ = epoch;
      return std::nullopt;
    }
    auto it = decisions_.find(k);
    if (it == decisions_.end()) return std::nullopt;
    if (now >= it->second.expires) return std::nullopt;
    return it->second.allow;
  }

  void put(const std::string& k, bool allow, clock::time_point expires, std::size_t max_size) {
    auto [it, inserted] = decisions_.insert_or_assign(k, decision{allow, expires});
    if (!inserted) return;
    order_.push_back(it->first);
    while (decisions_.size() > max_size && !order_.empty()) {
      decisions_.erase(order_.front());
      order_.pop_front();
    }
  }

  void clear() {
    decisions_.clear();
    order_.clear();
  }
  std::size_t size() const { return decisions_.size(); }

 private:
  struct decision {
    bool allow;
    clock::time_point expires;
  };
  std::unordered_map<std::string, decision> decisions_;
  std::deque<std::string> order_;  // insertion order, for eviction
  const void* chain_ = nullptr;
  std::uint64_t epoch_ = 0;
};

}  // namespace emqx_cpp::broker
