// SPDX-License-Identifier: Apache-2.0
//
// How a channel calls the hook chains: notifications, and the access hooks
// (client.authenticate, client.authorize) that may answer asynchronously. While an
// access hook waits, the channel reads nothing more from its client, so packets stay
// in order; the answer, or the hook timeout, resumes it.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

std::unique_ptr<event_frame> channel::new_frame(ecp_hook_point hook) const {
  auto frame = std::make_unique<event_frame>();
  init_event(*frame, hook);
  describe_client(client_, clean_start_, keepalive_, *frame);
  return frame;
}

void channel::notify(ecp_hook_point hook, int reason) {
  if (worker_.hooks().empty(hook)) return;
  auto frame = new_frame(hook);
  frame->event.reason = reason;
  plugin::notify(worker_.hooks(), hook, frame->event);
}

void channel::run_access_hook(std::unique_ptr<event_frame> frame,
                              std::function<void(const plugin::chain_result&)> done) {
  auto st = std::make_unique<pending_access>();
  st->chain = worker_.hooks().shared_chain(frame->event.hook);
  st->frame = std::move(frame);
  st->done = std::move(done);
  access_ = std::move(st);
  step_access();
}

void channel::step_access() {
  auto& st = *access_;
  auto& calls = worker_.owner().async_calls();
  st.token = calls.new_token();
  st.frame->event.token = st.token;
  const plugin::chain_result r = plugin::run_chain(*st.chain, st.next, st.frame->event);
  if (r.result != ECP_HOOK_ASYNC) {
    auto finished = std::move(access_);
    finished->done(r);
    return;
  }
  st.next = r.next;
  st.waiting_on = r.entry != nullptr && r.entry->owner ? r.entry->owner->owner_name() : "kernel";
  calls.expect(st.token,
               [w = &worker_, id = id_](ecp_hook_result result, const ecp_hook_reply& reply) {
                 w->loop().post([w, id, result, reply] {
                   if (channel* ch = w->channel_by_id(id)) ch->resume_access(result, reply);
                   w->request_flush();
                 });
               });
  st.timer = worker_.loop().schedule(
      std::chrono::milliseconds(worker_.cfg().plugins.hook_timeout_ms), [this] {
        if (access_) access_->timer = 0;
        on_access_timeout();
      });
  if (conn_) conn_->pause_reading();
}

void channel::on_access_timeout() {
  if (!access_ || !worker_.owner().async_calls().cancel(access_->token)) return;
  worker_.log().warn("hook_timeout plugin={} hook={} client={} timeout_ms={} action=ignore",
                     access_->waiting_on, plugin::hook_name(access_->frame->event.hook),
                     client_.client_id, worker_.cfg().plugins.hook_timeout_ms);
  // A plugin that does not answer in time counts as having no opinion.
  resume_access(ECP_HOOK_CONTINUE, ecp_hook_reply{sizeof(ecp_hook_reply), ECP_OK, 0});
}

void channel::resume_access(ecp_hook_result result, const ecp_hook_reply& reply) {
  if (!access_ || state_ == state::closed) return;
  worker_.loop().cancel(access_->timer);
  access_->timer = 0;
  if (result == ECP_HOOK_STOP) {
    auto finished = std::move(access_);
    plugin::chain_result r;
    r.result = ECP_HOOK_STOP;
    r.reply = reply;
    finished->done(r);
  } else {
    step_access();  // the rest of the chain
  }
  if (access_ || state_ == state::closed || !conn_) return;
  conn_->resume_reading();
  process_input();  // what the client sent meanwhile
}

}  // namespace emqx_cpp::broker
