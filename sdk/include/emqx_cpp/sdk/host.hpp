// SPDX-License-Identifier: Apache-2.0
//
// Part of the C++ plugin SDK; include <emqx_cpp/plugin.hpp> rather than this file.
// `host` wraps the broker's ecp_host_api table and the plugin's ecp_plugin handle:
// string_view in, optional out, and timers that take a std::function. Every call checks
// the table's size first, so a plugin built against a newer header still runs on a
// broker whose table is shorter: the missing call returns ECP_ERR_UNSUPPORTED (or
// nullopt, or does nothing) instead of jumping through a pointer that is not there.
#pragma once

#include <emqx_cpp/plugin.h>
#include <emqx_cpp/sdk/views.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace emqx_cpp::sdk {

namespace detail {

// Logs "<context> threw: <what>" at error level. Never throws: it runs in catch blocks
// on the way back to C.
inline void log_exception(const ecp_host_api* api, ecp_plugin* self, std::string_view context,
                          const char* what) noexcept {
  auto fn = EMQX_CPP_SDK_API_FN(api, api_log);
  if (fn == nullptr) return;
  try {
    std::string line{context};
    line += " threw: ";
    line += what == nullptr ? "(no message)" : what;
    fn(self, ECP_LOG_ERROR, line.c_str());
  } catch (...) {
    fn(self, ECP_LOG_ERROR, "a callback threw, and describing it failed");
  }
}

// Runs `f` (returning ecp_status) and turns an escaping exception into a log line and
// ECP_ERR_CRASHED, the code that makes the broker restart the plugin.
template <class F>
ecp_status guarded(const ecp_host_api* api, ecp_plugin* self, std::string_view context,
                   F&& f) noexcept {
  try {
    return std::forward<F>(f)();
  } catch (const std::exception& e) {
    log_exception(api, self, context, e.what());
  } catch (...) {
    log_exception(api, self, context, "an exception not derived from std::exception");
  }
  return ECP_ERR_CRASHED;
}

// The std::function behind each timer. The broker holds only a raw pointer to a slot, so
// a slot must outlive every call the broker may still make with it:
//   - a one-shot slot is freed when it fires (the broker never calls it again);
//   - a slot cancelled on the control thread is freed at once (no call can be running:
//     timers run on that thread);
//   - a slot cancelled on another thread may be mid-call on the control thread, so it is
//     retired and freed by the next timer call or start/cancel made on the control thread;
//   - the rest are cancelled and freed with the registry (on_destroy, when no callback
//     runs any more).
class timer_registry {
 public:
  timer_registry(const ecp_host_api* api, ecp_plugin* self)
      : api_(api), self_(self), control_thread_(std::this_thread::get_id()) {}
  timer_registry(const timer_registry&) = delete;
  timer_registry& operator=(const timer_registry&) = delete;
  ~timer_registry() { shutdown(); }

  std::uint64_t start(std::uint64_t delay_ms, std::uint64_t repeat_ms, std::function<void()> fn) {
    auto start_fn = EMQX_CPP_SDK_API_FN(api_, api_timer_start);
    if (start_fn == nullptr || !fn) return 0;
    auto owned = std::make_unique<slot>();
    owned->owner = this;
    owned->fn = std::make_shared<std::function<void()>>(std::move(fn));
    owned->repeating = repeat_ms != 0;
    slot* raw = owned.get();
    {
      const std::lock_guard lock{mutex_};
      sweep_if_control_thread();
      live_.emplace(raw, std::move(owned));
    }
    const std::uint64_t id = start_fn(self_, delay_ms, repeat_ms, &on_timer, raw);
    const std::lock_guard lock{mutex_};
    const auto it = live_.find(raw);
    if (id == 0) {
      if (it != live_.end()) live_.erase(it);  // never handed to the broker
      return 0;
    }
    // Absent when a one-shot already fired on the control thread (started from another).
    if (it != live_.end()) {
      it->second->id = id;
      by_id_[id] = raw;
    }
    return id;
  }

  ecp_status cancel(std::uint64_t id) {
    slot* raw = nullptr;
    {
      const std::lock_guard lock{mutex_};
      const auto it = by_id_.find(id);
      if (it == by_id_.end()) return ECP_ERR_NOT_FOUND;  // fired, cancelled, or not ours
      raw = it->second;
      by_id_.erase(it);
    }
    auto cancel_fn = EMQX_CPP_SDK_API_FN(api_, api_timer_cancel);
    const ecp_status status = cancel_fn == nullptr ? ECP_ERR_UNSUPPORTED : cancel_fn(self_, id);
    const std::lock_guard lock{mutex_};
    const auto it = live_.find(raw);
    if (it != live_.end()) {
      if (std::this_thread::get_id() != control_thread_) {
        it->second->fn.reset();  // a call under way holds its own reference
        retired_.push_back(std::move(it->second));
      }
      live_.erase(it);
      sweep_if_control_thread();
    }
    return status;
  }

  // Set when a timer callback threw; the plugin's health check then reports a crash.
  bool crashed() const noexcept { return crashed_.load(std::memory_order_relaxed); }

  std::size_t active() const {
    const std::lock_guard lock{mutex_};
    return live_.size();
  }

 private:
  struct slot {
    timer_registry* owner = nullptr;
    std::shared_ptr<std::function<void()>> fn;  // shared: a call outlives a cancel
    bool repeating = false;
    std::uint64_t id = 0;
  };

  static void on_timer(void* arg) noexcept {
    auto* raw = static_cast<slot*>(arg);
    raw->owner->fire(raw);  // the slot is live or retired, never freed, here (see above)
  }

  void fire(slot* raw) noexcept {
    std::shared_ptr<std::function<void()>> fn;
    {
      const std::lock_guard lock{mutex_};
      const auto it = live_.find(raw);
      if (it == live_.end()) return;  // cancelled from another thread just now
      fn = it->second->fn;
      if (!it->second->repeating) {
        by_id_.erase(it->second->id);
        live_.erase(it);
      }
    }
    try {
      (*fn)();
    } catch (const std::exception& e) {
      crashed_.store(true, std::memory_order_relaxed);
      log_exception(api_, self_, "a timer callback", e.what());
    } catch (...) {
      crashed_.store(true, std::memory_order_relaxed);
      log_exception(api_, self_, "a timer callback",
                    "an exception not derived from std::exception");
    }
    const std::lock_guard lock{mutex_};
    retired_.clear();  // we are on the control thread, between calls
  }

  void sweep_if_control_thread() {
    if (std::this_thread::get_id() == control_thread_) retired_.clear();
  }

  void shutdown() noexcept {
    auto cancel_fn = EMQX_CPP_SDK_API_FN(api_, api_timer_cancel);
    if (cancel_fn != nullptr) {
      for (const auto& entry : by_id_)
        cancel_fn(self_, entry.first);
    }
    by_id_.clear();
    live_.clear();
    retired_.clear();
  }

  const ecp_host_api* api_;
  ecp_plugin* self_;
  std::thread::id control_thread_;  // the thread that ran on_init
  mutable std::mutex mutex_;
  std::unordered_map<slot*, std::unique_ptr<slot>> live_;
  std::unordered_map<std::uint64_t, slot*> by_id_;
  std::vector<std::unique_ptr<slot>> retired_;
  std::atomic<bool> crashed_{false};
};

}  // namespace detail

// A running timer; cancels it when destroyed. Keep it as a member of the plugin (it must
// not outlive the plugin object), or release() it to let a one-shot run unobserved.
class [[nodiscard]] timer {
 public:
  timer() = default;
  timer(timer&& other) noexcept
      : registry_(std::exchange(other.registry_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  timer& operator=(timer&& other) noexcept {
    if (this != &other) {
      cancel();
      registry_ = std::exchange(other.registry_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;
  ~timer() { cancel(); }

  // The broker's id (for host::timer_cancel); 0 when the timer could not be started.
  std::uint64_t id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ != 0; }

  // Cancels the timer; a no-op once it has fired (one-shot) or was cancelled.
  void cancel() noexcept {
    if (registry_ != nullptr && id_ != 0) {
      try {
        registry_->cancel(id_);
      } catch (...) {  // only std::mutex can throw here; the broker drops it on unload anyway
      }
    }
    registry_ = nullptr;
    id_ = 0;
  }
  // Lets the timer run on without this handle; returns its id.
  std::uint64_t release() noexcept {
    registry_ = nullptr;
    return std::exchange(id_, 0);
  }

 private:
  friend class host;
  timer(detail::timer_registry* registry, std::uint64_t id) noexcept
      : registry_(id == 0 ? nullptr : registry), id_(id) {}

  detail::timer_registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

// Options of host::subscribe, as in an MQTT 5 SUBSCRIBE.
struct subscribe_options {
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;  // 0, 1 or 2
};

// The broker's services for one plugin instance. A default-constructed host is detached
// (what a plugin's constructor sees, before on_init): calls do nothing, return
// ECP_ERR_WRONG_STATE or nullopt. Every call may be made from any thread except where
// plugin.h says otherwise (hooks and providers: the control thread).
class host {
 public:
  host() = default;
  host(const ecp_host_api* api, ecp_plugin* self)
      : api_(api), self_(self), timers_(std::make_unique<detail::timer_registry>(api, self)) {}

  bool attached() const noexcept { return api_ != nullptr; }
  const ecp_host_api* api() const noexcept { return api_; }
  ecp_plugin* self() const noexcept { return self_; }
  // The ABI version the broker speaks ({0, 0} when detached).
  ecp_abi_version abi() const noexcept {
    return api_ == nullptr ? ecp_abi_version{0, 0} : api_->abi;
  }

  // Logging never throws, so it is safe in catch blocks and destructors.
  void log(ecp_log_level level, std::string_view message) const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_log);
    if (fn == nullptr) return;
    try {
      const detail::zstring m{message};
      fn(self_, level, m.c_str());
    } catch (...) {  // std::bad_alloc for a long line: nothing better to do
    }
  }
  void debug(std::string_view message) const noexcept { log(ECP_LOG_DEBUG, message); }
  void info(std::string_view message) const noexcept { log(ECP_LOG_INFO, message); }
  void warning(std::string_view message) const noexcept { log(ECP_LOG_WARNING, message); }
  void error(std::string_view message) const noexcept { log(ECP_LOG_ERROR, message); }

  // Metrics, exported as emqx_cpp_plugin_<plugin>_<name>; labels "k=v,k=v" or empty.
  void counter_add(std::string_view name, std::uint64_t n = 1, std::string_view labels = {}) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_counter_add);
    if (fn == nullptr) return;
    const detail::zstring nm{name};
    const detail::zstring lb{labels};
    fn(self_, nm.c_str(), lb.c_str_or_null(), n);
  }
  void gauge_set(std::string_view name, std::int64_t value, std::string_view labels = {}) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_gauge_set);
    if (fn == nullptr) return;
    const detail::zstring nm{name};
    const detail::zstring lb{labels};
    fn(self_, nm.c_str(), lb.c_str_or_null(), value);
  }
  void histogram_observe(std::string_view name, double value, std::string_view labels = {}) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_histogram_observe);
    if (fn == nullptr) return;
    const detail::zstring nm{name};
    const detail::zstring lb{labels};
    fn(self_, nm.c_str(), lb.c_str_or_null(), value);
  }

  // Publishes as the broker (publisher "plugin:<name>").
  ecp_status publish(std::string_view topic, std::span<const std::byte> payload,
                     std::uint8_t qos = 0, bool retain = false) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_publish);
    if (fn == nullptr) return unavailable();
    const detail::zstring t{topic};
    return fn(self_, t.c_str(), payload.data(), payload.size(), qos, retain ? 1 : 0);
  }
  ecp_status publish(std::string_view topic, std::string_view payload, std::uint8_t qos = 0,
                     bool retain = false) const {
    return publish(topic, std::as_bytes(std::span{payload.data(), payload.size()}), qos, retain);
  }
  // Disconnects a client (MQTT 5: DISCONNECT 0x98).
  ecp_status kick(std::string_view client_id) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_kick);
    if (fn == nullptr) return unavailable();
    const detail::zstring c{client_id};
    return fn(self_, c.c_str());
  }
  // Subscribes a connected client as if it had sent SUBSCRIBE.
  ecp_status subscribe(std::string_view client_id, std::string_view filter, std::uint8_t qos,
                       subscribe_options options = {}) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_subscribe);
    if (fn == nullptr) return unavailable();
    const detail::zstring c{client_id};
    const detail::zstring f{filter};
    return fn(self_, c.c_str(), f.c_str(), qos, options.no_local ? 1 : 0,
              options.retain_as_published ? 1 : 0, options.retain_handling);
  }

  // Runs `fn` on the control thread after `delay`, then every `repeat` (zero: once). The
  // function is kept until the timer fires (one-shot), is cancelled, or the plugin is
  // destroyed. A callback that throws is logged and makes the next health check report
  // ECP_ERR_CRASHED. The returned handle is empty when the timer could not be started.
  timer timer_start(std::chrono::milliseconds delay, std::chrono::milliseconds repeat,
                    std::function<void()> fn) {
    if (timers_ == nullptr) return {};
    const auto ms = [](std::chrono::milliseconds d) {
      return static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0));
    };
    return timer{timers_.get(), timers_->start(ms(delay), ms(repeat), std::move(fn))};
  }
  // Cancels by id (timer::id or timer::release); ECP_ERR_NOT_FOUND once it has gone.
  ecp_status timer_cancel(std::uint64_t id) {
    return timers_ == nullptr ? ECP_ERR_WRONG_STATE : timers_->cancel(id);
  }

  // The plugin's own [plugins.<name>] table, validated and completed with the manifest's
  // defaults by the broker. `path` is dotted, array elements by index: "rules.0.action".
  // nullopt when the key is absent or has another type. Strings stay valid until on_stop
  // returns; durations read as integers are milliseconds (config_duration says so).
  std::optional<std::string_view> config_string(std::string_view path) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_config_string);
    if (fn == nullptr) return std::nullopt;
    const detail::zstring p{path};
    const char* value = nullptr;
    std::size_t len = 0;
    if (fn(self_, p.c_str(), &value, &len) != ECP_OK) return std::nullopt;
    return detail::view(value, len);
  }
  std::optional<std::int64_t> config_int(std::string_view path) const {
    return config_get<std::int64_t>(EMQX_CPP_SDK_API_FN(api_, api_config_int), path);
  }
  std::optional<std::chrono::milliseconds> config_duration(std::string_view path) const {
    const auto ms = config_int(path);
    if (!ms) return std::nullopt;
    return std::chrono::milliseconds{*ms};
  }
  std::optional<double> config_double(std::string_view path) const {
    return config_get<double>(EMQX_CPP_SDK_API_FN(api_, api_config_double), path);
  }
  std::optional<bool> config_bool(std::string_view path) const {
    const auto v = config_get<int>(EMQX_CPP_SDK_API_FN(api_, api_config_bool), path);
    if (!v) return std::nullopt;
    return *v != 0;
  }
  // Elements of an array, or keys of a table, at `path`.
  std::optional<std::size_t> config_count(std::string_view path) const {
    return config_get<std::size_t>(EMQX_CPP_SDK_API_FN(api_, api_config_count), path);
  }

  // Answers an authenticate/authorize hook that returned hook_result::async. Any thread.
  // ECP_ERR_TIMEOUT when the broker has given up waiting.
  ecp_status complete(std::uint64_t token, hook_result result, ecp_status code = ECP_OK,
                      bool is_superuser = false) const {
    ecp_hook_reply reply{};
    reply.size = sizeof reply;
    reply.code = code;
    reply.is_superuser = is_superuser ? 1 : 0;
    return complete(token, result, reply);
  }
  ecp_status complete(std::uint64_t token, hook_result result, const ecp_hook_reply& reply) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_complete);
    if (fn == nullptr) return unavailable();
    return fn(self_, token, static_cast<ecp_hook_result>(result), &reply);
  }

  // Facts about a connected client, copied (the broker reuses its buffers); nullopt when
  // it is not connected.
  std::optional<client_view> client_info(std::string_view client_id) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_client_info);
    if (fn == nullptr) return std::nullopt;
    const detail::zstring c{client_id};
    ecp_client_info info{};
    info.size = sizeof info;  // tells the broker how much it may fill
    if (fn(self_, c.c_str(), &info) != ECP_OK) return std::nullopt;
    return client_view::copy_of(info);
  }

  // ---- ABI 1.1 (ECP_ERR_UNSUPPORTED from a 1.0 broker) ----

  // Publishes with MQTT 5 properties.
  ecp_status publish_v5(std::string_view topic, std::string_view payload, std::uint8_t qos,
                        bool retain, const ecp_publish_properties& props) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_publish_v5);
    if (fn == nullptr) return unavailable();
    const detail::zstring t{topic};
    return fn(self_, t.c_str(), payload.data(), payload.size(), qos, retain ? 1 : 0, &props);
  }
  // Empties the authorization cache of one client, or of all (nullopt).
  ecp_status clear_authz_cache(std::optional<std::string_view> client_id = std::nullopt) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_authz_cache_clear);
    if (fn == nullptr) return unavailable();
    if (!client_id) return fn(self_, nullptr);
    const detail::zstring c{*client_id};
    return fn(self_, c.c_str());
  }
  // This node's name ("" from a 1.0 broker).
  std::string_view node_name() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_node_name);
    return fn == nullptr ? std::string_view{} : std::string_view{fn(self_)};
  }
  // Every series of the kernel's metrics, handed to `each` before this returns.
  template <class F>  // void(const ecp_metric&)
  ecp_status visit_metrics(F&& each) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_metrics_visit);
    if (fn == nullptr) return unavailable();
    return fn(
        self_, [](void* ctx, const ecp_metric* m) { (*static_cast<F*>(ctx))(*m); },
        const_cast<void*>(static_cast<const void*>(&each)));
  }
  // Answers a management request (a ctl command or REST route the plugin registered).
  ecp_status mgmt_reply(std::uint64_t request_id, std::int32_t status, std::string_view body,
                        std::string_view content_type = "application/json") const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_mgmt_reply);
    if (fn == nullptr) return unavailable();
    const detail::zstring ct{content_type};
    return fn(self_, request_id, status, ct.c_str(), body.data(), body.size());
  }
  // Answers a completion-style provider call.
  ecp_status provider_complete(std::uint64_t token, ecp_status status,
                               std::string_view data = {}) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_provider_complete);
    if (fn == nullptr) return unavailable();
    return fn(self_, token, status, data.data(), data.size());
  }

  // True once a timer callback has thrown (the health check then reports a crash).
  bool crashed() const noexcept { return timers_ != nullptr && timers_->crashed(); }

 private:
  ecp_status unavailable() const noexcept {
    return api_ == nullptr ? ECP_ERR_WRONG_STATE : ECP_ERR_UNSUPPORTED;
  }

  template <class T, class Fn>
  std::optional<T> config_get(Fn fn, std::string_view path) const {
    if (fn == nullptr) return std::nullopt;
    const detail::zstring p{path};
    T value{};
    if (fn(self_, p.c_str(), &value) != ECP_OK) return std::nullopt;
    return value;
  }

  const ecp_host_api* api_ = nullptr;
  ecp_plugin* self_ = nullptr;
  // Behind a pointer so timer handles stay valid if the host is moved.
  std::unique_ptr<detail::timer_registry> timers_;
};

}  // namespace emqx_cpp::sdk
