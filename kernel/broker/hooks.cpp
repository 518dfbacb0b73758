// SPDX-License-Identifier: Apache-2.0
#include "broker/hooks.hpp"

#include <algorithm>

namespace emqx_cpp::broker {

hook_registry::hook_registry()
    : authn_(std::make_shared<const authn_chain>()),
      authz_(std::make_shared<const authz_chain>()) {}

std::uint64_t hook_registry::add_authenticate(int priority, authenticate_fn fn) {
  std::lock_guard lock(write_mutex_);
  auto next = std::make_shared<authn_chain>(*std::atomic_load(&authn_));
  const std::uint64_t id = next_id_++;
  next->push_back({id, priority, std::move(fn)});
  std::stable_sort(next->begin(), next->end(),
                   [](const auto& a, const auto& b) { return a.priority > b.priority; });
  std::atomic_store(&authn_, std::shared_ptr<const authn_chain>(std::move(next)));
  return id;
}

std::uint64_t hook_registry::add_authorize(int priority, authorize_fn fn) {
  std::lock_guard lock(write_mutex_);
  auto next = std::make_shared<authz_chain>(*std::atomic_load(&authz_));
  const std::uint64_t id = next_id_++;
  next->push_back({id, priority, std::move(fn)});
  std::stable_sort(next->begin(), next->end(),
                   [](const auto& a, const auto& b) { return a.priority > b.priority; });
  authz_size_.store(next->size(), std::memory_order_release);
  std::atomic_store(&authz_, std::shared_ptr<const authz_chain>(std::move(next)));
  return id;
}

void hook_registry::remove(std::uint64_t id) {
  std::lock_guard lock(write_mutex_);
  auto a = std::make_shared<authn_chain>(*std::atomic_load(&authn_));
  std::erase_if(*a, [&](const auto& e) { return e.id == id; });
  std::atomic_store(&authn_, std::shared_ptr<const authn_chain>(std::move(a)));
  auto z = std::make_shared<authz_chain>(*std::atomic_load(&authz_));
  std::erase_if(*z, [&](const auto& e) { return e.id == id; });
  authz_size_.store(z->size(), std::memory_order_release);
  std::atomic_store(&authz_, std::shared_ptr<const authz_chain>(std::move(z)));
}

bool hook_registry::has_authenticators() const {
  return !std::atomic_load(&authn_)->empty();
}

authn_outcome hook_registry::authenticate(const client_info& c,
                                          const std::optional<std::string>& password) const {
  const auto chain = std::atomic_load(&authn_);
  for (const auto& e : *chain) {
    authn_outcome r = e.fn(c, password);
    if (r.what != authn_outcome::kind::ignore) return r;
  }
  return {};
}

authz_outcome hook_registry::authorize(const client_info& c, access_action a,
                                       std::string_view topic, std::uint8_t qos,
                                       bool retain) const {
  if (authz_size_.load(std::memory_order_acquire) == 0) return authz_outcome::ignore;
  const auto chain = std::atomic_load(&authz_);
  for (const auto& e : *chain) {
    const authz_outcome r = e.fn(c, a, topic, qos, retain);
    if (r != authz_outcome::ignore) return r;
  }
  return authz_outcome::ignore;
}

}  // namespace emqx_cpp::broker
