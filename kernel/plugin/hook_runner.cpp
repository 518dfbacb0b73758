// SPDX-License-Identifier: Apache-2.0
#include "plugin/hook_runner.hpp"

namespace emqx_cpp::plugin {

chain_result run_chain(const hook_chain& chain, std::size_t start, const ecp_event& event) {
  chain_result out;
  for (std::size_t i = start; i < chain.size(); ++i) {
    const hook_entry& e = chain[i];
    if (e.owner && !e.owner->accepting()) continue;
    ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0};
    ecp_hook_result r = e.callback(e.user_data, &event, &reply);
    if (r == ECP_HOOK_ASYNC && event.hook != ECP_HOOK_CLIENT_AUTHENTICATE &&
        event.hook != ECP_HOOK_CLIENT_AUTHORIZE) {
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
        out.next = i + 1;
        out.entry = &e;
        return out;
      case ECP_HOOK_CRASHED:
      default:
        if (e.owner) e.owner->hook_failed(event.hook, "a hook callback reported a crash");
        continue;
    }
  }
  out.next = chain.size();
  return out;
}

void notify(hook_cache& hooks, ecp_hook_point hook, const ecp_event& event) {
  if (hooks.empty(hook)) return;
  const auto chain = hooks.shared_chain(hook);
  run_chain(*chain, 0, event);
}

}  // namespace emqx_cpp::plugin
