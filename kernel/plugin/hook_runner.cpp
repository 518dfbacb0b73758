// SPDX-License-Identifier: Apache-2.0
#include "plugin/hook_runner.hpp"

namespace emqx_cpp::plugin {

chain_result run_chain(const hook_chain& chain, std::size_t start, const ecp_event& event,
                       async_calls* calls) {
  chain_result out;
  for (std::size_t i = start; i < chain.size(); ++i) {
    const hook_entry& e = chain[i];
    if (e.owner && !e.owner->accepting()) continue;
    if (calls != nullptr && event.token != 0) calls->bind(event.token, e.owner.get());
    ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
    ecp_hook_result r = ECP_HOOK_CRASHED;
    try {
      r = e.callback(e.user_data, &event, &reply);
    } catch (...) {
      // A C++ plugin that let an exception out of a C callback: contained here, and the
      // plugin is restarted like one that reported a crash.
      r = ECP_HOOK_CRASHED;
    }
    if (r == ECP_HOOK_ASYNC && event.hook != ECP_HOOK_CLIENT_AUTHENTICATE &&
        event.hook != ECP_HOOK_CLIENT_AUTHORIZE && event.hook != ECP_HOOK_CLIENT_AUTH_EXCHANGE) {
      // Only access hooks can wait for an answer; anything else is a plugin bug.
      r = ECP_HOOK_CRASHED;
    }
    switch (r) {
      case ECP_HOOK_CONTINUE:
        continue;
      case ECP_HOOK_STOP:
      case ECP_HOOK_ASYNC:
        out.result = r;
        out.reply = reply;
        take_auth_data(out.reply, out.auth_data);
        out.next = i + 1;
        out.entry = &e;
        return out;
      case ECP_HOOK_CRASHED:
      default:
        if (e.owner)
          e.owner->hook_failed(static_cast<ecp_hook_point>(event.hook),
                               "a hook callback reported a crash");
        continue;
    }
  }
  out.next = chain.size();
  return out;
}

void take_auth_data(ecp_hook_reply& reply, std::string& out) {
  if (reply.auth_data != nullptr && reply.auth_data_len != 0)
    out.assign(static_cast<const char*>(reply.auth_data), reply.auth_data_len);
  reply.auth_data = nullptr;
  reply.auth_data_len = 0;
}

void notify(hook_cache& hooks, ecp_hook_point hook, const ecp_event& event) {
  if (hooks.empty(hook)) return;
  const auto chain = hooks.shared_chain(hook);
  run_chain(*chain, 0, event);
}

}  // namespace emqx_cpp::plugin
