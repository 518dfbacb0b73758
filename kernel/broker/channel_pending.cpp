// SPDX-License-Identifier: Apache-2.0
//
// The one operation a channel may wait on: an access chain (client.authenticate,
// client.authorize, client.auth_exchange) answered later by a plugin, or a provider
// call (a session loaded from a store, retained messages matched in a store). While it
// waits the channel reads nothing more from its client, so packets stay in order; the
// answer, or plugins.hook_timeout with its documented fallback, resumes it from a fresh
// event-loop task.
//
// An access chain that decides at once returns its answer to the caller, which goes on
// in a loop: a SUBSCRIBE with many filters is iterated, never recursed.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/fault_injection.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

std::optional<plugin::chain_result> channel::begin_access(std::unique_ptr<event_frame> frame,
                                                          access_resume resume) {
  auto op = std::make_unique<pending_op>();
  op->chain = worker_.hooks().shared_chain(static_cast<ecp_hook_point>(frame->event.hook));
  op->frame = std::move(frame);
  if (auto r = advance_access(*op)) return r;
  op->resume = std::move(resume);
  pending_ = std::move(op);
  if (conn_) conn_->pause_reading();
  return std::nullopt;
}

std::optional<plugin::chain_result> channel::advance_access(pending_op& op) {
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
        if (pending_ && pending_->token == token) pending_->timer = 0;
        worker_.contained(this, "hook_timeout", [&](channel*) { on_access_timeout(token); });
      });
  return std::nullopt;
}

void channel::on_access_timeout(std::uint64_t token) {
  if (!pending_ || pending_->token != token) return;
  if (!worker_.owner().async_calls().cancel(token)) return;  // the answer is on its way
  worker_.log().warn("hook_timeout plugin={} hook={} client={} timeout_ms={} action=ignore",
                     pending_->waiting_on,
                     plugin::hook_name(static_cast<ecp_hook_point>(pending_->frame->event.hook)),
                     client_.client_id, worker_.cfg().plugins.hook_timeout_ms);
  // A plugin that does not answer in time counts as having no opinion.
  resume_access(token, plugin::chain_result{});
}

void channel::resume_access(std::uint64_t token, plugin::chain_result answer) {
  if (!pending_ || pending_->what != pending_op::kind::access || pending_->token != token ||
      state_ == state::closed)
    return;
  inject_fault("answer", client_.client_id);
  worker_.loop().cancel(pending_->timer);
  pending_->timer = 0;
  pending_->token = 0;
  std::optional<plugin::chain_result> decided;
  if (answer.result == ECP_HOOK_STOP) {
    answer.next = pending_->next;
    answer.entry = pending_->next > 0 ? &(*pending_->chain)[pending_->next - 1] : nullptr;
    decided = std::move(answer);
  } else {
    decided = advance_access(*pending_);  // the rest of the chain
  }
  if (decided) {
    // The operation ends before its continuation runs, which may start another.
    auto finished = std::move(pending_);
    finished->resume(*decided);
  }
  resume_input();
}

void channel::abandon_pending() {
  if (!pending_) return;
  if (pending_->what == pending_op::kind::access)
    worker_.owner().async_calls().cancel(pending_->token);
  worker_.loop().cancel(pending_->timer);
  pending_.reset();
}

std::uint64_t channel::begin_provider_wait(std::string what, std::function<void()> fallback) {
  auto op = std::make_unique<pending_op>();
  op->what = pending_op::kind::provider;
  op->token = worker_.new_wait_id();
  op->waiting_on = std::move(what);
  op->fallback = std::move(fallback);
  const std::uint64_t wait = op->token;
  op->timer = worker_.loop().schedule(
      std::chrono::milliseconds(worker_.cfg().plugins.hook_timeout_ms), [this, wait] {
        if (!pending_ || pending_->token != wait) return;
        pending_->timer = 0;
        worker_.log().warn("provider_timeout waiting_for=\"{}\" client={} timeout_ms={}",
                           pending_->waiting_on, client_.client_id,
                           worker_.cfg().plugins.hook_timeout_ms);
        worker_.contained(this, "timer", [&](channel*) {
          auto finished = std::move(pending_);
          finished->fallback();
          resume_input();
        });
        worker_.request_flush();
      });
  pending_ = std::move(op);
  if (conn_) conn_->pause_reading();
  return wait;
}

void channel::provider_answered(std::uint64_t wait, const std::function<void()>& handle) {
  if (!pending_ || pending_->what != pending_op::kind::provider || pending_->token != wait ||
      state_ == state::closed)
    return;  // answered too late: the fallback ran already
  worker_.loop().cancel(pending_->timer);
  auto finished = std::move(pending_);
  handle();
  resume_input();
}

}  // namespace emqx_cpp::broker
