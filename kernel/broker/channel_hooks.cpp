// SPDX-License-Identifier: Apache-2.0
//
// How a channel calls the hook chains: notifications, and the access hooks
// (client.authenticate, client.authorize) that may answer asynchronously.
//
// An access chain that decides at once returns its answer to the caller, which goes on
// in a loop: a SUBSCRIBE with many filters is iterated, never recursed. A chain that
// waits suspends the channel: it reads nothing more from its client (so packets stay
// in order) until the answer, the hook timeout or the plugin's unload resumes it, from
// a fresh event-loop task.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/fault_injection.hpp"
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

std::optional<plugin::chain_result> channel::begin_access(std::unique_ptr<event_frame> frame,
                                                          access_resume resume) {
  auto op = std::make_unique<pending_access>();
  op->chain = worker_.hooks().shared_chain(static_cast<ecp_hook_point>(frame->event.hook));
  op->frame = std::move(frame);
  if (auto r = advance_access(*op)) return r;
  op->resume = std::move(resume);
  access_ = std::move(op);
  if (conn_) conn_->pause_reading();
  return std::nullopt;
}

std::optional<plugin::chain_result> channel::advance_access(pending_access& op) {
  auto& calls = worker_.owner().async_calls();
  // Armed before the chain runs: a plugin may answer from another thread before its
  // callback has even returned ECP_HOOK_ASYNC. The answer travels to this worker and
  // finds the channel by id; a stale one (another operation by then) is ignored.
  const std::uint64_t token =
      calls.arm([w = &worker_, id = id_](std::uint64_t t, ecp_hook_result result,
                                         const ecp_hook_reply& reply) {
        plugin::chain_result answer;
        answer.result = result;
        answer.reply = reply;
        plugin::take_auth_data(answer.reply, answer.auth_data);  // the plugin's buffer goes
        w->loop().post([w, id, t, answer = std::move(answer)]() mutable {
          w->contained(w->channel_by_id(id), "answer", [&](channel* ch) {
            if (ch != nullptr) ch->resume_access(t, std::move(answer));
          });
          w->request_flush();
        });
      });
  op.frame->event.token = token;
  plugin::chain_result r = plugin::run_chain(*op.chain, op.next, op.frame->event, &calls);
  if (r.result != ECP_HOOK_ASYNC) {
    calls.cancel(token);
    return r;
  }
  op.next = r.next;
  op.token = token;
  op.waiting_on = r.entry != nullptr && r.entry->owner ? r.entry->owner->owner_name() : "kernel";
  op.timer = worker_.loop().schedule(
      std::chrono::milliseconds(worker_.cfg().plugins.hook_timeout_ms), [this, token] {
        if (access_ && access_->token == token) access_->timer = 0;
        worker_.contained(this, "hook_timeout", [&](channel*) { on_access_timeout(token); });
      });
  return std::nullopt;
}

void channel::on_access_timeout(std::uint64_t token) {
  if (!access_ || access_->token != token) return;
  if (!worker_.owner().async_calls().cancel(token)) return;  // the answer is on its way
  worker_.log().warn("hook_timeout plugin={} hook={} client={} timeout_ms={} action=ignore",
                     access_->waiting_on,
                     plugin::hook_name(static_cast<ecp_hook_point>(access_->frame->event.hook)),
                     client_.client_id, worker_.cfg().plugins.hook_timeout_ms);
  // A plugin that does not answer in time counts as having no opinion.
  resume_access(token, plugin::chain_result{});
}

void channel::resume_access(std::uint64_t token, plugin::chain_result answer) {
  if (!access_ || access_->token != token || state_ == state::closed) return;
  inject_fault("answer", client_.client_id);
  worker_.loop().cancel(access_->timer);
  access_->timer = 0;
  access_->token = 0;
  std::optional<plugin::chain_result> decided;
  if (answer.result == ECP_HOOK_STOP) {
    answer.next = access_->next;
    answer.entry = access_->next > 0 ? &(*access_->chain)[access_->next - 1] : nullptr;
    decided = std::move(answer);
  } else {
    decided = advance_access(*access_);  // the rest of the chain
  }
  if (decided) {
    // The operation ends before its continuation runs, which may start another.
    auto finished = std::move(access_);
    finished->resume(*decided);
  }
  resume_input();
}

void channel::abandon_access() {
  if (!access_) return;
  worker_.owner().async_calls().cancel(access_->token);
  worker_.loop().cancel(access_->timer);
  access_.reset();
}

}  // namespace emqx_cpp::broker
