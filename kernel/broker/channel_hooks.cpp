// SPDX-License-Identifier: Apache-2.0
//
// How a channel calls the hook chains: the event frames, notifications, and the
// authorization cache in front of client.authorize. Access chains that may answer later
// are in channel_pending.cpp.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

std::unique_ptr<event_frame> channel::new_frame(ecp_hook_point hook) const {
  auto frame = std::make_unique<event_frame>();
  init_event(*frame, hook, worker_.index());
  describe_client(client_, clean_start_, keepalive_, *frame);
  return frame;
}

std::optional<bool> channel::cached_decision(const std::string& key) {
  const auto& c = worker_.cfg().authorization;
  auto& st = worker_.stats();
  if (!c.cache_enable) return std::nullopt;
  if (!authz_) authz_ = std::make_unique<authz_cache>();
  const auto found =
      authz_->find(key, worker_.hooks().shared_chain(ECP_HOOK_CLIENT_AUTHORIZE).get(),
                   worker_.owner().authz_epoch(), std::chrono::steady_clock::now());
  st.add(found ? st.authorization_cache_hit : st.authorization_cache_miss);
  if (found) st.add(*found ? st.authorization_allow : st.authorization_deny);
  return found;
}

void channel::remember_decision(const std::string& key, bool allowed) {
  const auto& c = worker_.cfg().authorization;
  auto& st = worker_.stats();
  st.add(allowed ? st.authorization_allow : st.authorization_deny);
  if (!c.cache_enable || !authz_ || state_ == state::closed) return;
  authz_->put(key, allowed,
              std::chrono::steady_clock::now() + std::chrono::milliseconds(c.cache_ttl_ms),
              c.cache_max_size);
}

void channel::notify(ecp_hook_point hook, int reason) {
  if (worker_.hooks().empty(hook)) return;
  auto frame = new_frame(hook);
  frame->event.reason = reason;
  plugin::notify(worker_.hooks(), hook, frame->event);
}

}  // namespace emqx_cpp::broker
