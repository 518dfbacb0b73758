// SPDX-License-Identifier: Apache-2.0
//
// Running a hook chain with EMQX's fold rules: callbacks in priority order; CONTINUE
// goes on, STOP ends the chain with a decision, ASYNC (authenticate/authorize only)
// suspends it at that position until the answer comes, CRASHED counts as CONTINUE and
// tells the owner, which gets restarted; so does an exception escaping a callback. Callbacks of a
// plugin that is being unloaded are skipped.
#pragma once

#include <cstddef>
#include <string>

#include "plugin/async_calls.hpp"
#include "plugin/hook_registry.hpp"

namespace emqx_cpp::plugin {

struct chain_result {
  ecp_hook_result result = ECP_HOOK_CONTINUE;  // CONTINUE: nobody decided
  // reply.auth_data is always null here: the bytes a hook gave are copied to auth_data.
  ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
  std::string auth_data;
  std::size_t next = 0;               // where to resume after an ASYNC answer
  const hook_entry* entry = nullptr;  // the entry that decided or went async
};

// `calls`: for access hooks, the token in event.token is bound to each entry's owner
// before its callback runs, so only the plugin that received it can answer it.
chain_result run_chain(const hook_chain& chain, std::size_t start, const ecp_event& event,
                       async_calls* calls = nullptr);

// Moves the Authentication Data a hook put in `reply` (1.1) into `out`: the plugin's
// buffer is only valid until its callback or api_complete returns.
void take_auth_data(ecp_hook_reply& reply, std::string& out);

// Runs a notification hook (connected, disconnected, session.*, message.delivered ...):
// every callback, until one says STOP.
void notify(hook_cache& hooks, ecp_hook_point hook, const ecp_event& event);

}  // namespace emqx_cpp::plugin
