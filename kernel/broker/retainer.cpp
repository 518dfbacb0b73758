// SPDX-License-Identifier: Apache-2.0
#include "broker/retainer.hpp"

#include <mutex>

#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

retained_store::store_result retainer::store(const message_ptr& m) {
  if (!cfg_.enable) return store_result::disabled;
  if (!m->payload.empty() && cfg_.max_payload_size != 0 &&
      m->payload.size() > cfg_.max_payload_size)
    return store_result::refused_too_large;
  const auto now = steady_clock::now();
  message_ptr kept = m;
  if (cfg_.msg_expiry_interval_ms != 0 && m->expires_at == steady_clock::time_point{}) {
    // retainer.msg_expiry_interval applies to the stored copy only; subscribers of the
    // live message see it without an expiry, as the publisher sent it.
    auto copy = std::make_shared<message>(*m);
    copy->expires_at = now + std::chrono::milliseconds(cfg_.msg_expiry_interval_ms);
    kept = std::move(copy);
  }
  std::unique_lock lock(mutex_);
  if (m->payload.empty()) {
    by_topic_.erase(m->topic);
    return store_result::cleared;
  }
  auto it = by_topic_.find(m->topic);
  if (it != by_topic_.end()) {
    it->second = std::move(kept);
    return store_result::stored;
  }
  if (cfg_.max_retained_messages != 0 && by_topic_.size() >= cfg_.max_retained_messages) {
    // Expired messages do not count against the limit: make room from them first.
    std::erase_if(by_topic_, [&](const auto& kv) { return kv.second->expired(now); });
    if (by_topic_.size() >= cfg_.max_retained_messages) return store_result::refused_full;
  }
  by_topic_.emplace(m->topic, std::move(kept));
  return store_result::stored;
}

std::vector<message_ptr> retainer::match(std::string_view filter,
                                         steady_clock::time_point now) const {
  std::vector<message_ptr> out;
  std::shared_lock lock(mutex_);
  if (!mqtt::has_wildcard(filter)) {
    auto it = by_topic_.find(std::string(filter));
    if (it != by_topic_.end() && !it->second->expired(now)) out.push_back(it->second);
    return out;
  }
  for (const auto& [topic, m] : by_topic_) {
    if (!m->expired(now) && mqtt::topic_matches(filter, topic)) out.push_back(m);
  }
  return out;
}

std::size_t retainer::size() const {
  std::shared_lock lock(mutex_);
  return by_topic_.size();
}

std::size_t retainer::sweep(steady_clock::time_point now) {
  std::unique_lock lock(mutex_);
  return std::erase_if(by_topic_, [&](const auto& kv) { return kv.second->expired(now); });
}

}  // namespace emqx_cpp::broker
