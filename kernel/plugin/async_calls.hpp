// SPDX-License-Identifier: Apache-2.0
//
// Hooks that answer later (client.authenticate, client.authorize returning
// ECP_HOOK_ASYNC). The channel waiting for the answer registers a token with a resume
// function; the plugin calls api_complete from any thread; whichever comes first, the
// answer or the channel's timeout, takes the token, so it is resumed exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "emqx_cpp/plugin.h"

namespace emqx_cpp::plugin {

class async_calls {
 public:
  using resume_fn = std::function<void(ecp_hook_result, const ecp_hook_reply&)>;

  std::uint64_t new_token();
  // Arms `token`; `resume` runs on the completing thread and must hand over to the
  // channel's own worker.
  void expect(std::uint64_t token, resume_fn resume);
  // From the plugin: ECP_ERR_TIMEOUT if the token is unknown or already timed out.
  ecp_status complete(std::uint64_t token, ecp_hook_result result, const ecp_hook_reply& reply);
  // From the channel's timeout: true if the token was still pending (now dropped).
  bool cancel(std::uint64_t token);
  std::size_t pending() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, resume_fn> waiting_;
};

}  // namespace emqx_cpp::plugin
