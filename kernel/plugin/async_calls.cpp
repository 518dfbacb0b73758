// SPDX-License-Identifier: Apache-2.0
#include "plugin/async_calls.hpp"

#include <utility>
#include <vector>

namespace emqx_cpp::plugin {

std::uint64_t async_calls::arm(resume_fn resume) {
  std::lock_guard lock(mutex_);
  const std::uint64_t token = next_++;
  waiting_.emplace(token, armed{std::move(resume), nullptr});
  return token;
}

void async_calls::bind(std::uint64_t token, const hook_owner* owner) {
  std::lock_guard lock(mutex_);
  if (auto it = waiting_.find(token); it != waiting_.end()) it->second.owner = owner;
}

ecp_status async_calls::complete(const hook_owner* by, std::uint64_t token, ecp_hook_result result,
                                 const ecp_hook_reply& reply) {
  resume_fn resume;
  {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(token);
    if (it == waiting_.end()) return ECP_ERR_TIMEOUT;
    if (it->second.owner != by) return ECP_ERR_INVALID_ARGUMENT;
    resume = std::move(it->second.resume);
    waiting_.erase(it);
  }
  resume(token, result, reply);
  return ECP_OK;
}

bool async_calls::cancel(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  return waiting_.erase(token) != 0;
}

std::size_t async_calls::abandon(const hook_owner* owner) {
  std::vector<std::pair<std::uint64_t, resume_fn>> orphans;
  {
    std::lock_guard lock(mutex_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.owner == owner) {
        orphans.emplace_back(it->first, std::move(it->second.resume));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  const ecp_hook_reply ignore{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
  for (auto& [token, resume] : orphans)
    resume(token, ECP_HOOK_CONTINUE, ignore);
  return orphans.size();
}

std::size_t async_calls::pending() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace emqx_cpp::plugin
