// SPDX-License-Identifier: Apache-2.0
//
// A fake broker for plugin unit tests: a complete ecp_host_api table implemented in the
// test process. It loads one plugin (a C++ class, or any plugin through its entry
// function), drives its lifecycle, fires hook chains the way the broker folds them,
// fires timers on a manual clock (advance), serves the plugin's config from a map the
// test fills, and records everything the plugin asks of the broker. It is also the
// executable statement of the contract in plugin.h: where this file and the broker
// disagree, one of them has a bug.
//
//   emqx_cpp::sdk::testing::fake_host host;
//   host.config["banned_user"] = std::string{"mallory"};
//   REQUIRE(host.load(&emqx_cpp_plugin_entry) == ECP_OK);
//   auto r = host.fire(ECP_HOOK_CLIENT_AUTHENTICATE,
//                      {.client = fake_client{.username = "mallory"}});
//   CHECK(r.reply.code == ECP_RC_BANNED);
//
// Thread-safe where the broker is (api_* from any thread); hooks and timers are called
// on the test's thread, without the fake's lock held.
#pragma once

#include <emqx_cpp/plugin.h>
#include <emqx_cpp/plugin.hpp>
#include <emqx_cpp/testing/fake_event.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace emqx_cpp::sdk::testing {

class fake_host {
 public:
  // An explicit element count for an array or table (otherwise derived from the keys).
  struct count {
    std::size_t value = 0;
  };
  // A config value as the broker holds it after validation; durations are milliseconds.
  using config_value = std::variant<std::string, std::int64_t, double, bool, count>;

  struct log_line {
    ecp_log_level level;
    std::string text;
  };
  struct published_message {
    std::string topic;
    std::string payload;
    std::uint8_t qos;
    bool retain;
    // api_publish_v5's properties (absent for api_publish).
    struct properties {
      std::uint8_t payload_format_indicator = 0;
      std::uint32_t message_expiry_interval = 0;
      std::optional<std::string> content_type{};
      std::optional<std::string> response_topic{};
      std::optional<std::string> correlation_data{};
      std::vector<std::pair<std::string, std::string>> user_properties{};
    };
    std::optional<properties> props{};
  };
  // A metric api_metrics_visit reports (tests fill fake_host::metrics).
  struct fake_metric {
    std::string name;
    std::string labels{};
    ecp_metric_type type = ECP_METRIC_COUNTER;
    double value = 0;
  };
  // A ctl command or REST route the plugin registered.
  struct mgmt_registration {
    std::string method;  // "CTL" for a command
    std::string path;    // the command, or the route's pattern
    std::string usage;
    ecp_on_mgmt callback;
    void* user_data;
  };
  struct mgmt_reply {
    std::uint64_t request_id;
    std::int32_t status;
    std::string content_type;
    std::string body;
  };
  struct provider_completion {
    std::uint64_t token;
    ecp_status status;
    std::string data;
  };
  struct cluster_call {
    std::string kind;  // "routes", "deliver" or "peer"
    std::string node;
    std::vector<std::pair<std::string, int>> deltas{};  // routes: (filter, op)
    std::string batch{};                                // deliver
    bool up = false;                                    // peer
  };
  struct subscription {
    std::string client_id;
    std::string filter;
    std::uint8_t qos, no_local, retain_as_published, retain_handling;
  };
  struct hook_registration {
    std::uint64_t id;
    ecp_hook_point hook;
    std::int32_t priority;
    ecp_on_hook callback;
    void* user_data;
  };
  struct provider_registration {
    ecp_provider_kind kind;
    const void* vtable;
    void* state;
  };
  struct timer_entry {
    std::uint64_t id;
    std::uint64_t due_ms;
    std::uint64_t repeat_ms;
    ecp_on_timer callback;
    void* arg;
  };
  struct completion {
    std::uint64_t token;
    ecp_hook_result result;
    ecp_hook_reply reply;
    ecp_status status;  // what api_complete returned
  };
  enum class phase { unloaded, initialized, started, stopped };

  // The plugin's [plugins.<name>] table: "key", "rules.0.action"; fill before load().
  std::map<std::string, config_value> config;
  // What api_metrics_visit reports, and api_node_name's answer; set before use.
  std::vector<fake_metric> metrics;
  std::string node_name = "emqx@127.0.0.1";

  fake_host() { fill_table(); }
  fake_host(const fake_host&) = delete;
  fake_host& operator=(const fake_host&) = delete;
  ~fake_host() { unload(); }

  // --- lifecycle, as the broker's loader runs it -----------------------------------

  // Calls the entry with `offered`, checks the descriptor and calls on_init. A refused
  // ABI gives ECP_ERR_UNSUPPORTED; a failed on_init undoes the registrations (on_destroy
  // is not called: there is no instance).
  ecp_status load(ecp_plugin_entry_fn entry,
                  std::vector<ecp_abi_version> offered = {{ECP_ABI_MAJOR, ECP_ABI_MINOR}}) {
    if (phase_ != phase::unloaded) return ECP_ERR_WRONG_STATE;
    const ecp_plugin_descriptor* d = entry(offered.data(), offered.size());
    if (d == nullptr) return ECP_ERR_UNSUPPORTED;
    // The plugin must pick a major that was offered, with a minor the broker implements.
    const bool chosen_was_offered = std::any_of(offered.begin(), offered.end(), [&](auto v) {
      return v.major == d->abi.major && v.minor >= d->abi.minor;
    });
    if (!chosen_was_offered) return ECP_ERR_UNSUPPORTED;
    return init(d);
  }
  // Loads C++ plugin class T without an entry function (no ABI negotiation).
  template <class T>
  ecp_status load(std::string name = "test") {
    if (phase_ != phase::unloaded) return ECP_ERR_WRONG_STATE;
    name_ = std::move(name);
    own_descriptor_ = detail::descriptor_for<T>(name_.c_str(), "0.0.0", "loaded by fake_host");
    return init(&own_descriptor_);
  }
  ecp_status start() { return transition(phase::initialized, phase::started, &desc::on_start); }
  ecp_status stop() { return transition(phase::started, phase::stopped, &desc::on_stop); }
  ecp_status health() {
    if (phase_ == phase::unloaded) return ECP_ERR_WRONG_STATE;
    return descriptor_->on_health == nullptr ? ECP_OK : descriptor_->on_health(state_);
  }
  // Stops the plugin if it runs, calls on_destroy and undoes its registrations. Records
  // (logs, metrics, published messages ...) stay for the test to inspect.
  void unload() {
    if (phase_ == phase::unloaded) return;
    if (phase_ == phase::started) stop();
    if (descriptor_->on_destroy != nullptr) descriptor_->on_destroy(state_);
    undo_registrations();
    descriptor_ = nullptr;
    state_ = nullptr;
    phase_ = phase::unloaded;
  }
  // The plugin object when the loaded plugin is C++ class T (load<T>() or
  // EMQX_CPP_PLUGIN(T, ...)), else nullptr.
  template <class T>
  T* instance() const noexcept {
    if (descriptor_ == nullptr || descriptor_->on_init != &detail::lifecycle<T>::on_init) {
      return nullptr;
    }
    return static_cast<T*>(static_cast<sdk::plugin*>(state_));
  }
  phase current_phase() const noexcept { return phase_; }
  const ecp_plugin_descriptor* descriptor() const noexcept { return descriptor_; }
  void* state() const noexcept { return state_; }

  // --- hooks ------------------------------------------------------------------------

  // Runs the chain registered at `hook` with an event built from `spec` and folds it
  // (see fire_result). Nothing runs unless the plugin is initialized or started.
  fire_result fire(ecp_hook_point hook, event_builder spec = {}) {
    fire_result out;
    const bool decides = hook == ECP_HOOK_CLIENT_AUTHENTICATE ||
                         hook == ECP_HOOK_CLIENT_AUTHORIZE || hook == ECP_HOOK_CLIENT_AUTH_EXCHANGE;
    std::vector<hook_registration> chain;
    {
      const std::lock_guard lock{mutex_};
      if (decides && spec.token == 0) spec.token = next_token_++;
      if (phase_ == phase::initialized || phase_ == phase::started) {
        for (const auto& h : hooks_) {
          if (h.hook == hook) chain.push_back(h);
        }
      }
    }
    std::stable_sort(chain.begin(), chain.end(),
                     [](const auto& a, const auto& b) { return a.priority > b.priority; });
    if (spec.message) {
      out.message = std::move(spec.message);
      out.message->writable = hook == ECP_HOOK_MESSAGE_PUBLISH;
    }
    out.topic = spec.topic.value_or("");
    out.token = spec.token;
    ecp_client_info client{};
    if (spec.client) client = to_info(*spec.client);
    event_box box{};
    box.event.size = sizeof(ecp_event);
    box.event.hook = hook;
    box.event.client = spec.client ? &client : nullptr;
    box.event.message = out.message ? as_message(&*out.message) : nullptr;
    box.event.topic = spec.topic ? out.topic.c_str() : nullptr;
    box.event.qos = spec.qos;
    box.event.retain = spec.retain ? 1 : 0;
    box.event.action = spec.action;
    box.event.reason = spec.reason;
    box.event.password = spec.password ? spec.password->data() : nullptr;
    box.event.password_len = spec.password ? spec.password->size() : 0;
    box.event.token = spec.token;
    box.event.worker = spec.worker;
    box.event.reason_name = spec.reason_name ? spec.reason_name->c_str() : nullptr;
    box.event.auth_method = spec.auth_method ? spec.auth_method->c_str() : nullptr;
    box.event.auth_data = spec.auth_data ? spec.auth_data->data() : nullptr;
    box.event.auth_data_len = spec.auth_data ? spec.auth_data->size() : 0;
    box.topic = &out.topic;

    for (const auto& h : chain) {
      ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
      const ecp_hook_result r = h.callback(h.user_data, &box.event, &reply);
      out.results.push_back(r);
      if (r == ECP_HOOK_CONTINUE) continue;
      if (r == ECP_HOOK_STOP || (r == ECP_HOOK_ASYNC && decides)) {
        out.result = r;
        out.reply = reply;
        // The broker copies Authentication Data as the callback returns.
        if (reply.auth_data != nullptr)
          out.auth_data.assign(static_cast<const char*>(reply.auth_data), reply.auth_data_len);
        out.reply.auth_data = nullptr;
        out.reply.auth_data_len = 0;
        if (r == ECP_HOOK_ASYNC) {
          const std::lock_guard lock{mutex_};
          pending_tokens_.insert(spec.token);
        }
        break;
      }
      if (r != ECP_HOOK_CRASHED) {
        out.violations.push_back(std::string{"hook "} + std::string{hook_name(hook)} +
                                 " returned " + std::to_string(static_cast<int>(r)));
      }
      ++out.crashed;
    }
    if (out.message) out.message->writable = false;
    return out;
  }
  // Marks an async token as timed out: a later api_complete gets ECP_ERR_TIMEOUT.
  void expire(std::uint64_t token) {
    const std::lock_guard lock{mutex_};
    if (pending_tokens_.erase(token) != 0) expired_tokens_.insert(token);
  }

  // --- time -------------------------------------------------------------------------

  // Moves the manual clock forward, firing due timers in order (a repeating timer may
  // fire several times). Timers run only while the plugin is initialized or started.
  void advance(std::chrono::milliseconds by) {
    const std::uint64_t target =
        now_ms_ + static_cast<std::uint64_t>(std::max<std::int64_t>(by.count(), 0));
    for (;;) {
      ecp_on_timer callback = nullptr;
      void* arg = nullptr;
      {
        const std::lock_guard lock{mutex_};
        const bool running = phase_ == phase::initialized || phase_ == phase::started;
        auto due =
            std::min_element(timers_.begin(), timers_.end(), [](const auto& a, const auto& b) {
              return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
            });
        if (!running || due == timers_.end() || due->due_ms > target) break;
        now_ms_ = due->due_ms;
        callback = due->callback;
        arg = due->arg;
        if (due->repeat_ms != 0) {
          due->due_ms += due->repeat_ms;
        } else {
          timers_.erase(due);
        }
      }
      callback(arg);
    }
    const std::lock_guard lock{mutex_};
    now_ms_ = target;
  }
  std::uint64_t now_ms() const {
    const std::lock_guard lock{mutex_};
    return now_ms_;
  }

  // --- the world the plugin sees ----------------------------------------------------

  // A client api_client_info knows about.
  void connect_client(fake_client c) {
    const std::lock_guard lock{mutex_};
    std::string id = c.client_id;
    clients_.insert_or_assign(std::move(id), std::move(c));
  }
  void disconnect_client(const std::string& client_id) {
    const std::lock_guard lock{mutex_};
    clients_.erase(client_id);
  }

  // --- what the plugin did (copies, safe while plugin threads still call) -----------

  std::vector<log_line> logs() const { return locked_copy(logs_); }
  bool logged(ecp_log_level level, std::string_view needle) const {
    const std::lock_guard lock{mutex_};
    return std::any_of(logs_.begin(), logs_.end(), [&](const log_line& l) {
      return l.level == level && l.text.find(needle) != std::string::npos;
    });
  }
  std::uint64_t counter(const std::string& name, const std::string& labels = {}) const {
    const std::lock_guard lock{mutex_};
    const auto it = counters_.find({name, labels});
    return it == counters_.end() ? 0 : it->second;
  }
  std::optional<std::int64_t> gauge(const std::string& name, const std::string& labels = {}) const {
    const std::lock_guard lock{mutex_};
    const auto it = gauges_.find({name, labels});
    if (it == gauges_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<double> observations(const std::string& name, const std::string& labels = {}) const {
    const std::lock_guard lock{mutex_};
    const auto it = histograms_.find({name, labels});
    return it == histograms_.end() ? std::vector<double>{} : it->second;
  }
  std::vector<published_message> published() const { return locked_copy(published_); }
  std::vector<std::string> kicks() const { return locked_copy(kicks_); }
  std::vector<subscription> subscriptions() const { return locked_copy(subscriptions_); }
  std::vector<hook_registration> hooks() const { return locked_copy(hooks_); }
  std::vector<provider_registration> providers() const { return locked_copy(providers_); }
  std::vector<timer_entry> timers() const { return locked_copy(timers_); }
  std::vector<completion> completions() const { return locked_copy(completions_); }
  // ABI 1.1 calls.
  std::vector<std::string> authz_cache_clears() const { return locked_copy(authz_clears_); }
  std::vector<mgmt_registration> mgmt_registrations() const { return locked_copy(mgmt_); }
  std::vector<mgmt_reply> mgmt_replies() const { return locked_copy(mgmt_replies_); }
  std::vector<provider_completion> provider_completions() const {
    return locked_copy(provider_completions_);
  }
  std::vector<cluster_call> cluster_calls() const { return locked_copy(cluster_calls_); }

  // Calls a registered ctl command ("CTL", command) or route (method, path as
  // registered) as the broker would; the answer is in mgmt_replies() under the returned
  // request id (0 if nothing is registered there).
  std::uint64_t call_mgmt(const std::string& method, const std::string& path,
                          std::vector<std::string> args = {}, std::string body = {},
                          std::string query = {}) {
    ecp_on_mgmt callback = nullptr;
    void* user_data = nullptr;
    std::uint64_t id = 0;
    {
      const std::lock_guard lock{mutex_};
      for (const auto& m : mgmt_) {
        if (m.method == method && m.path == path) {
          callback = m.callback;
          user_data = m.user_data;
        }
      }
      if (callback == nullptr) return 0;
      id = next_id_++;
    }
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    ecp_mgmt_request r{};
    r.size = sizeof r;
    r.id = id;
    r.method = method.c_str();
    r.path = path.c_str();
    r.query = query.c_str();
    r.args = argv.data();
    r.arg_count = argv.size();
    r.body = body.empty() ? nullptr : body.data();
    r.body_len = body.size();
    callback(user_data, &r);
    return id;
  }

  // The table handed to the plugin; a test may lower `size` to play an older broker.
  ecp_host_api& api() noexcept { return api_; }
  ecp_plugin* self() noexcept { return reinterpret_cast<ecp_plugin*>(this); }

 private:
  using desc = ecp_plugin_descriptor;
  using metric_key = std::pair<std::string, std::string>;

  // The event a hook sees, with what api_event_set_topic needs to rewrite it. The event
  // comes first so the const ecp_event* a plugin passes back leads to the box.
  struct event_box {
    ecp_event event;
    std::string* topic;
  };
  static_assert(std::is_standard_layout_v<event_box>);

  static fake_host& from(ecp_plugin* self) { return *reinterpret_cast<fake_host*>(self); }
  static fake_message& msg(ecp_message* m) { return *reinterpret_cast<fake_message*>(m); }
  static const fake_message& msg(const ecp_message* m) {
    return *reinterpret_cast<const fake_message*>(m);
  }
  static ecp_message* as_message(fake_message* m) { return reinterpret_cast<ecp_message*>(m); }

  template <class V>
  V locked_copy(const V& v) const {
    const std::lock_guard lock{mutex_};
    return v;
  }

  ecp_status init(const ecp_plugin_descriptor* d) {
    if (d->size < sizeof(ecp_plugin_descriptor) || d->on_init == nullptr)
      return ECP_ERR_UNSUPPORTED;
    descriptor_ = d;
    void* state = nullptr;
    const ecp_status status = d->on_init(&api_, self(), &state);
    if (status != ECP_OK) {
      undo_registrations();
      descriptor_ = nullptr;
      return status;
    }
    state_ = state;
    phase_ = phase::initialized;
    return ECP_OK;
  }

  ecp_status transition(phase from, phase to, ecp_status (*desc::*callback)(void*)) {
    if (phase_ != from) return ECP_ERR_WRONG_STATE;
    const auto fn = descriptor_->*callback;
    const ecp_status status = fn == nullptr ? ECP_OK : fn(state_);
    if (status == ECP_OK) phase_ = to;
    return status;
  }

  void undo_registrations() {
    const std::lock_guard lock{mutex_};
    hooks_.clear();
    providers_.clear();
    timers_.clear();
    mgmt_.clear();
  }

  static ecp_client_info to_info(const fake_client& c) {
    ecp_client_info info{};
    info.size = sizeof info;
    info.client_id = c.client_id.c_str();
    info.username = c.username ? c.username->c_str() : nullptr;
    info.peer = c.peer.c_str();
    info.listener = c.listener.c_str();
    info.protocol_version = c.protocol_version;
    info.is_superuser = c.is_superuser ? 1 : 0;
    info.clean_start = c.clean_start ? 1 : 0;
    info.keepalive = c.keepalive;
    info.listener_type = "tcp";
    return info;
  }

  // Config lookups: ECP_ERR_NOT_FOUND when absent, ECP_ERR_INVALID_ARGUMENT for another
  // type (an integer also reads as a double, as TOML allows).
  template <class T>
  ecp_status config_lookup(const char* path, T* out) {
    if (path == nullptr || out == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{mutex_};
    const auto it = config.find(path);
    if (it == config.end()) return ECP_ERR_NOT_FOUND;
    if (const auto* v = std::get_if<T>(&it->second)) {
      *out = *v;
      return ECP_OK;
    }
    if constexpr (std::is_same_v<T, double>) {
      if (const auto* i = std::get_if<std::int64_t>(&it->second)) {
        *out = static_cast<double>(*i);
        return ECP_OK;
      }
    }
    return ECP_ERR_INVALID_ARGUMENT;
  }

  ecp_status config_size(const char* path, std::size_t* out) {
    if (path == nullptr || out == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{mutex_};
    if (const auto it = config.find(path); it != config.end()) {
      if (const auto* n = std::get_if<count>(&it->second)) {
        *out = n->value;
        return ECP_OK;
      }
      return ECP_ERR_INVALID_ARGUMENT;  // a scalar has no elements
    }
    // Derived: the distinct next segments of the keys under "<path>.".
    const std::string prefix = *path == '\0' ? std::string{} : std::string{path} + '.';
    std::set<std::string> children;
    for (auto it = config.lower_bound(prefix); it != config.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      const std::string rest = it->first.substr(prefix.size());
      children.insert(rest.substr(0, rest.find('.')));
    }
    if (children.empty()) return ECP_ERR_NOT_FOUND;
    *out = children.size();
    return ECP_OK;
  }

  // The ecp_host_api table: fake_host_table.hpp, included at the end of this file.
  void fill_table();

  static metric_key key(const char* name, const char* labels) {
    return {name == nullptr ? "" : name, labels == nullptr ? "" : labels};
  }

  ecp_host_api api_{};
  const ecp_plugin_descriptor* descriptor_ = nullptr;
  void* state_ = nullptr;
  phase phase_ = phase::unloaded;
  std::string name_;
  ecp_plugin_descriptor own_descriptor_{};  // load<T>()'s

  mutable std::mutex mutex_;  // guards everything below and `config`
  std::uint64_t next_id_ = 1;
  std::uint64_t next_token_ = 1;
  std::uint64_t now_ms_ = 0;
  std::vector<log_line> logs_;
  std::map<metric_key, std::uint64_t> counters_;
  std::map<metric_key, std::int64_t> gauges_;
  std::map<metric_key, std::vector<double>> histograms_;
  std::vector<published_message> published_;
  std::vector<std::string> kicks_;
  std::vector<subscription> subscriptions_;
  std::vector<hook_registration> hooks_;
  std::vector<provider_registration> providers_;
  std::vector<timer_entry> timers_;
  std::vector<completion> completions_;
  std::vector<std::string> authz_clears_;
  std::vector<mgmt_registration> mgmt_;
  std::vector<mgmt_reply> mgmt_replies_;
  std::vector<provider_completion> provider_completions_;
  std::vector<cluster_call> cluster_calls_;
  std::set<std::uint64_t> pending_tokens_;
  std::set<std::uint64_t> expired_tokens_;
  std::map<std::string, fake_client> clients_;
};

}  // namespace emqx_cpp::sdk::testing

#include <emqx_cpp/testing/fake_host_table.hpp>  // IWYU pragma: export
