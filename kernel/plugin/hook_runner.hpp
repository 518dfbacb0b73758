// SPDX-License-Identifier: Apache-2.0
//
// Running a hook chain with EMQX's fold rules: callbacks in priority order; CONTINUE
// goes on, STOP ends the chain with a decision, ASYNC (authenticate/authorize only)
// suspends it at that position until the answer comes, CRASHED counts as CONTINUE and
// tells the owner, which gets restarted. Callbacks of a plugin that is being unloaded
// are skipped.
#pragma once

#include <cstddef>

#include "plugin/hook_registry.hpp"

namespace emqx_cpp::plugin {

struct chain_result {
  ecp_hook_result result = ECP_HOOK_CONTINUE;  // CONTINUE: nobody decided
  ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0};
  std::size_t next = 0;               // where to resume after an ASYNC answer
  const hook_entry* entry = nullptr;  // the entry that decided or went async
};

chain_result run_chain(const hook_chain& chain, std::size_t start, const ecp_event& event);

// Runs a notification hook (connected, disconnected, session.*, message.delivered ...):
// every callback, until one says STOP.
void notify(hook_cache& hooks, ecp_hook_point hook, const ecp_event& event);

}  // namespace emqx_cpp::plugin
