// SPDX-License-Identifier: Apache-2.0
#include "plugin/async_calls.hpp"

namespace emqx_cpp::plugin {

std::uint64_t async_calls::new_token() {
  std::lock_guard lock(mutex_);
  return next_++;
}

void async_calls::expect(std::uint64_t token, resume_fn resume) {
  std::lock_guard lock(mutex_);
  waiting_[token] = std::move(resume);
}

ecp_status async_calls::complete(std::uint64_t token, ecp_hook_result result,
                                 const ecp_hook_reply& reply) {
  resume_fn resume;
  {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(token);
    if (it == waiting_.end()) return ECP_ERR_TIMEOUT;
    resume = std::move(it->second);
    waiting_.erase(it);
  }
  resume(result, reply);
  return ECP_OK;
}

bool async_calls::cancel(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  return waiting_.erase(token) != 0;
}

std::size_t async_calls::pending() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace emqx_cpp::plugin
