// SPDX-License-Identifier: Apache-2.0
#include "plugin/hook_registry.hpp"

#include <algorithm>
#include <iterator>

namespace emqx_cpp::plugin {

hook_registry::hook_registry() {
  for (auto& c : chains_)
    c = std::make_shared<const hook_chain>();
}

std::uint64_t hook_registry::add(ecp_hook_point hook, std::int32_t priority, ecp_on_hook callback,
                                 void* user_data, std::shared_ptr<hook_owner> owner) {
  if (!valid(hook) || callback == nullptr) return 0;
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<hook_chain>(*chains_[index(hook)]);
  const std::uint64_t id = next_id_++;
  next->push_back(hook_entry{id, priority, id, callback, user_data, std::move(owner)});
  std::stable_sort(next->begin(), next->end(), [](const hook_entry& a, const hook_entry& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.order < b.order;
  });
  sizes_[index(hook)].store(next->size(), std::memory_order_release);
  chains_[index(hook)] = std::move(next);
  version_.fetch_add(1, std::memory_order_acq_rel);
  return id;
}

bool hook_registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < chains_.size(); ++i) {
    const auto& chain = *chains_[i];
    auto it =
        std::find_if(chain.begin(), chain.end(), [&](const hook_entry& e) { return e.id == id; });
    if (it == chain.end()) continue;
    auto next = std::make_shared<hook_chain>(chain);
    next->erase(next->begin() + (it - chain.begin()));
    sizes_[i].store(next->size(), std::memory_order_release);
    chains_[i] = std::move(next);
    version_.fetch_add(1, std::memory_order_acq_rel);
    return true;
  }
  return false;
}

std::size_t hook_registry::remove_owner(const hook_owner* owner) {
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (std::size_t i = 0; i < chains_.size(); ++i) {
    auto next = std::make_shared<hook_chain>(*chains_[i]);
    removed += std::erase_if(*next, [&](const hook_entry& e) { return e.owner.get() == owner; });
    sizes_[i].store(next->size(), std::memory_order_release);
    chains_[i] = std::move(next);
  }
  if (removed != 0) version_.fetch_add(1, std::memory_order_acq_rel);
  return removed;
}

std::shared_ptr<const hook_chain> hook_registry::chain(ecp_hook_point hook) const {
  std::lock_guard lock(mutex_);
  return chains_[index(hook)];
}

std::size_t hook_registry::size() const {
  std::size_t n = 0;
  for (const auto& s : sizes_)
    n += s.load(std::memory_order_relaxed);
  return n;
}

const hook_chain& hook_cache::chain(ecp_hook_point hook) {
  return *shared_chain(hook);
}

std::shared_ptr<const hook_chain> hook_cache::shared_chain(ecp_hook_point hook) {
  const std::uint64_t v = registry_.version();
  if (v != seen_) {
    for (auto& c : chains_)
      c.reset();
    seen_ = v;
  }
  auto& slot = chains_[hook_registry::index(hook)];
  if (!slot) slot = registry_.chain(hook);
  return slot;
}

const char* hook_name(ecp_hook_point hook) {
  static const char* names[] = {
      "client.connect",      "client.connack",     "client.connected",     "client.disconnected",
      "client.authenticate", "client.authorize",   "client.subscribe",     "client.unsubscribe",
      "session.created",     "session.subscribed", "session.unsubscribed", "session.resumed",
      "session.discarded",   "session.takenover",  "session.terminated",   "message.publish",
      "message.delivered",   "message.acked",      "message.dropped",      "delivery.dropped",
      "client.auth_exchange"};
  static_assert(std::size(names) == ECP_HOOK_POINT_COUNT);
  return hook_registry::valid(hook) ? names[hook_registry::index(hook)] : "unknown";
}

}  // namespace emqx_cpp::plugin
