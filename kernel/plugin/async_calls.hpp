// SPDX-License-Identifier: Apache-2.0
//
// Hooks that answer later (client.authenticate, client.authorize returning
// ECP_HOOK_ASYNC). The channel arms a token with a resume function *before* the chain
// runs, so an answer that arrives at once, from another thread, before the hook has
// even returned, is honoured. Before each callback the token is bound to the plugin
// instance being called: only that instance may answer it. Whichever comes first, the
// answer, the channel's timeout or the instance's unload, takes the token, so the
// channel is resumed exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "emqx_cpp/plugin.h"

namespace emqx_cpp::plugin {

class hook_owner;

class async_calls {
 public:
  // Called with the token it was armed for, so the waiter can tell a stale answer.
  using resume_fn = std::function<void(std::uint64_t, ecp_hook_result, const ecp_hook_reply&)>;

  // A fresh token armed with `resume`, which runs on the completing thread and must
  // hand over to the channel's own worker.
  std::uint64_t arm(resume_fn resume);
  // The callback about to run belongs to `owner`; only it may complete the token.
  void bind(std::uint64_t token, const hook_owner* owner);
  // From a plugin. ECP_ERR_TIMEOUT if the token is unknown, answered or timed out;
  // ECP_ERR_INVALID_ARGUMENT if it was handed to another plugin.
  ecp_status complete(const hook_owner* by, std::uint64_t token, ecp_hook_result result,
                      const ecp_hook_reply& reply);
  // From the channel (a synchronous answer, a timeout, a close): true if the token was
  // still armed (now dropped).
  bool cancel(std::uint64_t token);
  // An unloading plugin answers nothing more: each token bound to it is resumed with
  // ECP_HOOK_CONTINUE (the plugin's fallback, "ignore"). Returns how many.
  std::size_t abandon(const hook_owner* owner);
  std::size_t pending() const;

 private:
  struct armed {
    resume_fn resume;
    const hook_owner* owner = nullptr;
  };
  mutable std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, armed> waiting_;
};

}  // namespace emqx_cpp::plugin
