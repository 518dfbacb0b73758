// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_instance.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstddef>

namespace emqx_cpp::plugin {

namespace {
// The ABI versions this broker speaks, newest first.
constexpr ecp_abi_version offered_versions[] = {{ECP_ABI_MAJOR, ECP_ABI_MINOR}};

bool descriptor_complete(const ecp_plugin_descriptor* d) {
  return d->size >= offsetof(ecp_plugin_descriptor, on_destroy) + sizeof(d->on_destroy);
}

template <class F>
ecp_status guarded(F&& f) {
  // A C plugin cannot throw, but a careless C++ one could; it must not unwind into us.
  try {
    return f();
  } catch (...) {
    return ECP_ERR_CRASHED;
  }
}
}  // namespace

plugin_instance::plugin_instance(plugin_context& ctx, manifest m, plugin_config cfg)
    : ctx_(ctx),
      info_(std::move(m)),
      config_(std::move(cfg)),
      handle_{this},
      log_(runtime::logger_for("plugin")) {}

plugin_instance::~plugin_instance() {
  teardown(started_);
}

result<void> plugin_instance::load() {
  auto refuse = [&](const std::string& why) -> result<void> {
    log_->error("plugin_load_failed plugin={} file={} reason=\"{}\"", info_.name,
                info_.library_path, why);
    teardown(false);
    return make_error(fmt::format("plugin {}: {}", info_.name, why));
  };
  library_ = dlopen(info_.library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  // glibc keeps the dlerror() text per thread, so the check is a false positive.
  if (library_ == nullptr)
    return refuse(std::string("cannot load: ") + dlerror());  // NOLINT(concurrency-mt-unsafe)
  auto* entry = reinterpret_cast<ecp_plugin_entry_fn>(dlsym(library_, ECP_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr)
    return refuse(
        fmt::format("no entry symbol {} (not an emqx-cpp plugin?)", ECP_PLUGIN_ENTRY_SYMBOL));
  descriptor_ = entry(offered_versions, std::size(offered_versions));
  if (descriptor_ == nullptr)
    return refuse(fmt::format("refused every ABI version offered (broker speaks {}.{})",
                              ECP_ABI_MAJOR, ECP_ABI_MINOR));
  if (!descriptor_complete(descriptor_) || descriptor_->on_init == nullptr)
    return refuse("descriptor too small or without on_init");
  if (descriptor_->abi.major != ECP_ABI_MAJOR || descriptor_->abi.minor > ECP_ABI_MINOR)
    return refuse(fmt::format("plugin speaks ABI {}.{}, the broker {}.{}", descriptor_->abi.major,
                              descriptor_->abi.minor, ECP_ABI_MAJOR, ECP_ABI_MINOR));
  if (descriptor_->name == nullptr || info_.name != descriptor_->name)
    return refuse(fmt::format("descriptor names plugin \"{}\", the manifest \"{}\"",
                              descriptor_->name == nullptr ? "" : descriptor_->name, info_.name));
  accepting_.store(true, std::memory_order_release);
  const ecp_status init =
      guarded([&] { return descriptor_->on_init(ctx_.api, &handle_, &state_); });
  if (init != ECP_OK) return refuse(fmt::format("on_init failed with status {}", init));
  initialized_ = true;
  if (descriptor_->on_start != nullptr) {
    const ecp_status st = guarded([&] { return descriptor_->on_start(state_); });
    if (st != ECP_OK) return refuse(fmt::format("on_start failed with status {}", st));
  }
  started_ = true;
  log_->info("plugin_loaded plugin={} version={} abi={}.{} file={} hooks={}", info_.name,
             descriptor_->version == nullptr ? "" : descriptor_->version, descriptor_->abi.major,
             descriptor_->abi.minor, info_.library_path, hook_count());
  return {};
}

void plugin_instance::teardown(bool call_stop) {
  // The contract of plugin.h: after on_stop returns no callback of the plugin runs. So
  // everything that could call into it is cut off first, in this order.
  // 1. Stop accepting: hook chains and provider calls skip it from now on.
  accepting_.store(false, std::memory_order_release);
  // 2. Remove its hooks and providers (the broker's defaults take the providers' place).
  const std::size_t hooks = ctx_.hooks.remove_owner(this);
  {
    std::lock_guard lock(hooks_mutex_);
    hooks_.clear();
  }
  ctx_.services.unregister_providers(this);
  ctx_.mgmt.remove_owner(this);  // its ctl commands and REST routes
  // 3. Quiesce: wait until no I/O worker can still be inside its code.
  if (hooks != 0 || initialized_) ctx_.services.quiesce();
  // 4. Its timers (they fire on this thread, so none is running now).
  {
    std::lock_guard lock(timers_mutex_);
    for (auto& [id, t] : timers_)
      ctx_.control.cancel(t.loop_timer);
    timers_.clear();
  }
  // 5. on_stop.
  if (call_stop && started_ && descriptor_ != nullptr && descriptor_->on_stop != nullptr) {
    const ecp_status st = guarded([&] { return descriptor_->on_stop(state_); });
    if (st != ECP_OK) log_->warn("plugin_stop_failed plugin={} status={}", info_.name, st);
  }
  started_ = false;
  // Hooks it left waiting get its fallback now instead of at their timeout.
  if (const std::size_t orphans = ctx_.calls.abandon(this); orphans != 0)
    log_->info("plugin_answers_abandoned plugin={} waiting={} action=ignore", info_.name, orphans);
  // 6. on_destroy, then the code goes.
  if (initialized_ && descriptor_->on_destroy != nullptr) {
    try {
      descriptor_->on_destroy(state_);
    } catch (...) {
      log_->warn("plugin_destroy_failed plugin={}", info_.name);
    }
  }
  initialized_ = false;
  state_ = nullptr;
  descriptor_ = nullptr;
  if (library_ != nullptr) {
    dlclose(library_);
    library_ = nullptr;
  }
}

void plugin_instance::shutdown() {
  const bool was_started = started_;
  teardown(was_started);
  log_->info("plugin_unloaded plugin={}", info_.name);
  notify_exit(runtime::exit_reason::shutdown());
}

void plugin_instance::kill() {
  teardown(started_);
}

std::optional<bool> plugin_instance::probe_health() {
  if (descriptor_ == nullptr || descriptor_->on_health == nullptr) return std::nullopt;
  return guarded([&] { return descriptor_->on_health(state_); }) == ECP_OK;
}

void plugin_instance::hook_failed(ecp_hook_point hook, const char* why) {
  log_->error("plugin_hook_failed plugin={} hook={} reason=\"{}\"", info_.name, hook_name(hook),
              why);
  if (crash_reported_.exchange(true)) return;
  accepting_.store(false, std::memory_order_release);  // stop calling it right away
  const std::string reason = fmt::format("{} hook failed: {}", hook_name(hook), why);
  ctx_.control.post([self = weak_from_this(), reason] {
    auto me = self.lock();
    if (!me) return;
    me->teardown(me->started_);
    me->notify_exit(runtime::exit_reason::error(reason));
  });
}

std::uint64_t plugin_instance::hook_count() const {
  std::lock_guard lock(hooks_mutex_);
  return hooks_.size();
}

std::uint64_t plugin_instance::register_hook(ecp_hook_point hook, std::int32_t priority,
                                             ecp_on_hook cb, void* user_data) {
  const std::uint64_t id = ctx_.hooks.add(hook, priority, cb, user_data, shared_from_this());
  if (id != 0) {
    std::lock_guard lock(hooks_mutex_);
    hooks_.emplace(id, hook);
  }
  return id;
}

ecp_status plugin_instance::unregister_hook(std::uint64_t id) {
  {
    std::lock_guard lock(hooks_mutex_);
    if (hooks_.erase(id) == 0) return ECP_ERR_NOT_FOUND;
  }
  ctx_.hooks.remove(id);
  return ECP_OK;
}

std::uint64_t plugin_instance::start_timer(std::uint64_t delay_ms, std::uint64_t repeat_ms,
                                           ecp_on_timer cb, void* arg) {
  if (cb == nullptr) return 0;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(timers_mutex_);
    id = next_timer_++;
    timers_[id] = timer{0, repeat_ms, cb, arg};
  }
  if (ctx_.control.in_executor_thread()) {
    arm_timer(id, delay_ms);
  } else {
    ctx_.control.post([self = weak_from_this(), id, delay_ms] {
      if (auto me = self.lock()) me->arm_timer(id, delay_ms);
    });
  }
  return id;
}

void plugin_instance::arm_timer(std::uint64_t id, std::uint64_t delay_ms) {
  std::lock_guard lock(timers_mutex_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;  // cancelled before it was armed
  it->second.loop_timer =
      ctx_.control.schedule(std::chrono::milliseconds(delay_ms), [self = weak_from_this(), id] {
        auto me = self.lock();
        if (!me || !me->accepting()) return;
        timer fired;
        {
          std::lock_guard guard(me->timers_mutex_);
          auto t = me->timers_.find(id);
          if (t == me->timers_.end()) return;
          fired = t->second;
          if (fired.repeat_ms == 0) me->timers_.erase(t);
        }
        if (fired.repeat_ms != 0) me->arm_timer(id, fired.repeat_ms);
        try {
          fired.callback(fired.arg);
        } catch (...) {
          me->hook_failed(static_cast<ecp_hook_point>(0), "a timer callback threw");
        }
      });
}

ecp_status plugin_instance::cancel_timer(std::uint64_t id) {
  std::lock_guard lock(timers_mutex_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return ECP_ERR_NOT_FOUND;
  // Cancelling a loop timer is the control thread's business; elsewhere the timer is
  // forgotten here and its callback finds nothing when it fires.
  if (ctx_.control.in_executor_thread()) ctx_.control.cancel(it->second.loop_timer);
  timers_.erase(it);
  return ECP_OK;
}

}  // namespace emqx_cpp::plugin
