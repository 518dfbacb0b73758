// SPDX-License-Identifier: Apache-2.0
//
// Providers: capabilities a plugin supplies in place of the broker's in-memory default
// (ECP_PROVIDER_SESSION_STORE, ECP_PROVIDER_RETAINED_STORE). Every call into a provider
// runs on a thread the broker keeps for it, never on an I/O worker, one at a time and in
// order; its answer travels back to the worker that asked. A 1.0 vtable answers as its
// functions return; a 1.1 one may answer later through api_provider_complete, from any
// thread. Calls into a plugin that has started unloading are skipped (its fallback
// applies), and its unanswered calls are answered with an error when it is gone.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/retainer.hpp"
#include "emqx_cpp/plugin.h"
#include "plugin/hook_registry.hpp"
#include "runtime/event_loop.hpp"

namespace emqx_cpp::broker {

// Completion-style provider calls waiting for api_provider_complete.
class provider_calls {
 public:
  // Runs with the status and the answer's data, on the completing thread.
  using done_fn = std::function<void(ecp_status, std::string)>;

  std::uint64_t arm(const void* owner, done_fn done);
  // ECP_ERR_NOT_FOUND for a token that is unknown or answered; ECP_ERR_INVALID_ARGUMENT
  // when it belongs to another plugin.
  ecp_status complete(const void* owner, std::uint64_t token, ecp_status status,
                      std::string_view data);
  // The owner is gone: its calls are answered with ECP_ERR_WRONG_STATE.
  std::size_t abandon(const void* owner);

 private:
  struct armed {
    const void* owner;
    done_fn done;
  };
  std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, armed> waiting_;
};

// What every provider shares: its plugin and its thread.
class provider_base {
 public:
  provider_base(const plugin::hook_owner* owner, provider_calls& calls, const char* thread_name);
  virtual ~provider_base() = default;
  provider_base(const provider_base&) = delete;
  provider_base& operator=(const provider_base&) = delete;

  const plugin::hook_owner* owner() const { return owner_; }
  // Returns once every call posted before it has run on the provider thread (or after
  // `timeout`). Not on the provider thread itself.
  bool drain(std::chrono::milliseconds timeout);

 protected:
  // Calls into the plugin are gated like its hooks.
  bool accepting() const { return owner_ == nullptr || owner_->accepting(); }
  void run(runtime::task t) { thread_.loop().post(std::move(t)); }

  const plugin::hook_owner* owner_;
  provider_calls& calls_;
  runtime::thread_executor thread_;
};

// An ECP_PROVIDER_SESSION_STORE.
class session_store_provider final : public provider_base {
 public:
  session_store_provider(const ecp_session_store_provider* vtable, void* state,
                         const plugin::hook_owner* owner, provider_calls& calls);
  // Either the 1.0 trio (save, load, delete) or the 1.1 completion-style one is there.
  static bool valid(const ecp_session_store_provider* v);

  // `done` runs on the provider's thread or the completing one, with the blob; nullopt
  // when there is none, the call failed or the plugin is going.
  void load(std::string client_id, std::function<void(std::optional<std::string>)> done);
  void save(std::string client_id, std::string blob, std::uint32_t expiry_interval_s);
  void erase(std::string client_id);
  // Whether it takes incremental changes (on_apply), and applying a batch of them;
  // `done(ok)` runs once they are as durable as the store promises.
  bool takes_changes() const;
  void apply(std::vector<ecp_session_change> changes, std::shared_ptr<void> storage,
             std::function<void(bool)> done);
  bool lists() const;
  // Every stored session; control thread, waits (bounded) for the provider's thread.
  void list(const std::function<void(std::string_view client_id, std::string_view blob)>& each,
            std::chrono::milliseconds timeout);

 private:
  const ecp_session_store_provider* vtable_;
  void* state_;
  bool async_;
};

// An ECP_PROVIDER_RETAINED_STORE: stores are sent to the provider's thread; matches
// are answered there and handed back (match_async); the count is the provider's as of
// its latest write.
class retained_store_provider final : public retained_store, public provider_base {
 public:
  retained_store_provider(const ecp_retained_store_provider* vtable, void* state,
                          const plugin::hook_owner* owner, provider_calls& calls);
  static bool valid(const ecp_retained_store_provider* v);

  store_result store(const message_ptr& m) override;
  bool asynchronous() const override { return true; }
  std::vector<message_ptr> match(std::string_view filter,
                                 steady_clock::time_point now) const override;
  void match_async(std::vector<std::string> filters, match_done done) override;
  std::size_t size() const override { return count_.load(std::memory_order_relaxed); }

 private:
  void refresh_count();
  const ecp_retained_store_provider* vtable_;
  void* state_;
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace emqx_cpp::broker
