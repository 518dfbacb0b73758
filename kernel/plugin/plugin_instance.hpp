// SPDX-License-Identifier: Apache-2.0
//
// One loaded plugin: the shared object, its descriptor and state, and everything it
// registered (hooks, providers, timers), so that unloading undoes all of it even if the
// plugin forgets. It is a supervised process: the plugins supervisor starts it, polls
// its health, and restarts it when a callback reports a crash.
//
// Loading follows the loader's rules (Redis moduleLoad): dlopen with RTLD_NOW |
// RTLD_LOCAL, the one entry symbol, ABI agreed from the versions the broker offers,
// descriptor checked, on_init then on_start; any failure rolls everything back.
// Unloading keeps plugin.h's promise that no callback runs after on_stop: stop
// accepting hook and provider calls, remove hooks and providers, wait until no worker
// can still be inside the plugin's code (quiesce), cancel its timers, on_stop, resolve
// the hooks still waiting on its answers with its fallback, on_destroy, dlclose.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "emqx_cpp/plugin.h"
#include "mgmt/mgmt_registry.hpp"
#include "plugin/async_calls.hpp"
#include "plugin/hook_registry.hpp"
#include "plugin/host_services.hpp"
#include "plugin/manifest.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/process.hpp"

namespace emqx_cpp::plugin {
class plugin_instance;
}

// The opaque handle of the C ABI.
struct ecp_plugin {
  emqx_cpp::plugin::plugin_instance* instance;
};

namespace emqx_cpp::plugin {

// What every instance shares: the broker, the chains, the control thread.
struct plugin_context {
  runtime::event_loop& control;
  host_services& services;
  hook_registry& hooks;
  async_calls& calls;
  mgmt::mgmt_registry& mgmt;
  const ecp_host_api* api = nullptr;
};

class plugin_instance final : public runtime::process,
                              public hook_owner,
                              public std::enable_shared_from_this<plugin_instance> {
 public:
  plugin_instance(plugin_context& ctx, manifest m, plugin_config cfg);
  ~plugin_instance() override;

  // Loads and starts the plugin (control thread). On failure nothing stays behind.
  result<void> load();

  // runtime::process
  void shutdown() override;
  void kill() override;
  std::optional<bool> probe_health() override;

  // hook_owner
  const char* owner_name() const override { return info_.name.c_str(); }
  bool accepting() const override { return accepting_.load(std::memory_order_acquire); }
  void hook_failed(ecp_hook_point hook, const char* why) override;

  const manifest& info() const { return info_; }
  const plugin_config& config() const { return config_; }
  plugin_context& ctx() { return ctx_; }
  ecp_plugin* handle() { return &handle_; }
  spdlog::logger& log() { return *log_; }
  std::uint64_t hook_count() const;
  const ecp_plugin_descriptor* descriptor() const { return descriptor_; }

  // Host services that keep per-instance records (called through the host API).
  std::uint64_t register_hook(ecp_hook_point hook, std::int32_t priority, ecp_on_hook cb,
                              void* user_data);
  ecp_status unregister_hook(std::uint64_t id);
  std::uint64_t start_timer(std::uint64_t delay_ms, std::uint64_t repeat_ms, ecp_on_timer cb,
                            void* arg);
  ecp_status cancel_timer(std::uint64_t id);

 private:
  // Undoes everything, in order; safe to call at any stage of loading.
  void teardown(bool call_stop);
  void arm_timer(std::uint64_t id, std::uint64_t delay_ms);

  plugin_context& ctx_;
  manifest info_;
  plugin_config config_;
  ecp_plugin handle_;
  std::shared_ptr<spdlog::logger> log_;
  void* library_ = nullptr;
  const ecp_plugin_descriptor* descriptor_ = nullptr;
  void* state_ = nullptr;
  bool initialized_ = false;
  bool started_ = false;
  std::atomic<bool> accepting_{false};
  std::atomic<bool> crash_reported_{false};
  struct timer {
    runtime::timer_id loop_timer = 0;
    std::uint64_t repeat_ms = 0;
    ecp_on_timer callback = nullptr;
    void* arg = nullptr;
  };
  // Timers are started from any thread (hooks run on workers) but armed and fired on
  // the control thread.
  std::mutex timers_mutex_;
  std::map<std::uint64_t, timer> timers_;
  std::uint64_t next_timer_ = 1;
  mutable std::mutex hooks_mutex_;
  std::map<std::uint64_t, ecp_hook_point> hooks_;
};

}  // namespace emqx_cpp::plugin
