// SPDX-License-Identifier: Apache-2.0
//
// The C++ plugin SDK: a header-only wrapper over the C ABI in <emqx_cpp/plugin.h>. It
// adds views (std::string_view, std::span, std::optional), RAII (timers, hook slots) and
// exception-to-status translation, and nothing else, so the C header stays the one
// contract. No exception crosses into the broker: a hook that throws returns
// ECP_HOOK_CRASHED, a lifecycle callback that throws returns ECP_ERR_CRASHED, and the
// exception's what() is logged through api_log first.
//
//   class my_plugin : public emqx_cpp::sdk::plugin {
//    public:
//     ecp_status init() override {
//       on(ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN,
//          [this](const emqx_cpp::sdk::event_view& e, ecp_hook_reply& reply) { ... });
//       return ECP_OK;
//     }
//   };
//   EMQX_CPP_PLUGIN(my_plugin, "my_plugin", "1.0.0", "what it does")
//
// docs/plugins/README.md is the author's guide.
#pragma once

#include <emqx_cpp/plugin.h>
#include <emqx_cpp/sdk/host.hpp>
#include <emqx_cpp/sdk/views.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace emqx_cpp::sdk {

class plugin;

namespace detail {
struct plugin_access;
}

// Base class of a C++ plugin. The broker's lifecycle maps onto it:
//   on_init    -> the derived class's default constructor, then init()
//   on_start   -> start()      on_stop -> stop()      on_health -> health()
//   on_destroy -> the destructor
// All of them run on the broker's control thread. The constructor runs before the host
// is attached: use init() for anything that needs host(). A non-OK status from init()
// (or an exception) destroys the object and the broker unloads the plugin.
class plugin {
 public:
  using hook_fn = std::function<hook_result(const event_view&, ecp_hook_reply&)>;

  plugin(const plugin&) = delete;
  plugin& operator=(const plugin&) = delete;
  virtual ~plugin() {
    // The broker undoes registrations on unload too; doing it here keeps a plugin that is
    // destroyed early (a failed init) from leaving hooks that point at freed slots.
    auto unregister = EMQX_CPP_SDK_API_FN(host_.api(), api_unregister_hook);
    for (const auto& slot : hooks_) {
      if (slot->id != 0 && unregister != nullptr) unregister(host_.self(), slot->id);
    }
  }

  virtual ecp_status init() { return ECP_OK; }
  virtual ecp_status start() { return ECP_OK; }
  // After stop() returns, the broker runs no hook or timer of this plugin.
  virtual ecp_status stop() { return ECP_OK; }
  // Polled; anything but ECP_OK counts as a failed health check.
  virtual ecp_status health() { return ECP_OK; }

 protected:
  plugin() = default;

  sdk::host& host() noexcept { return host_; }
  const sdk::host& host() const noexcept { return host_; }

  // Registers `fn` at a hook point; higher priorities run first (ECP_PRIORITY_*). Returns
  // the id for off(), 0 on error. Control thread (init() or start()). `fn` runs on I/O
  // workers, several at once: it must be thread-safe and must not block. Its slot lives
  // until the plugin object is destroyed, so off() is safe while a call is under way.
  std::uint64_t on(ecp_hook_point hook, std::int32_t priority, hook_fn fn) {
    auto reg = EMQX_CPP_SDK_API_FN(host_.api(), api_register_hook);
    if (reg == nullptr || !fn) return 0;
    auto slot = std::make_unique<hook_slot>();
    slot->api = host_.api();
    slot->self = host_.self();
    slot->hook = hook;
    slot->fn = std::move(fn);
    const std::uint64_t id = reg(host_.self(), hook, priority, &on_hook, slot.get());
    if (id == 0) return 0;
    slot->id = id;
    hooks_.push_back(std::move(slot));
    return id;
  }
  // Unregisters a hook. Control thread.
  ecp_status off(std::uint64_t id) {
    auto unregister = EMQX_CPP_SDK_API_FN(host_.api(), api_unregister_hook);
    if (unregister == nullptr) return host_.attached() ? ECP_ERR_UNSUPPORTED : ECP_ERR_WRONG_STATE;
    for (const auto& slot : hooks_) {
      if (slot->id == id) {
        slot->id = 0;
        return unregister(host_.self(), id);
      }
    }
    return ECP_ERR_NOT_FOUND;
  }
  // Registers a provider: `vtable` points to one of the ecp_*_provider structs (with its
  // size set) and, like `state`, must stay valid until the plugin is unloaded. Provider
  // callbacks are raw C: catch exceptions in them yourself. Control thread.
  ecp_status provide(ecp_provider_kind kind, const void* vtable, void* state) {
    auto fn = EMQX_CPP_SDK_API_FN(host_.api(), api_register_provider);
    if (fn == nullptr) return host_.attached() ? ECP_ERR_UNSUPPORTED : ECP_ERR_WRONG_STATE;
    return fn(host_.self(), kind, vtable, state);
  }

 private:
  friend struct detail::plugin_access;

  struct hook_slot {
    const ecp_host_api* api = nullptr;
    ecp_plugin* self = nullptr;
    ecp_hook_point hook{};
    hook_fn fn;
    std::uint64_t id = 0;  // 0 once unregistered
  };

  static ecp_hook_result on_hook(void* user_data, const ecp_event* event,
                                 ecp_hook_reply* reply) noexcept {
    const auto* slot = static_cast<const hook_slot*>(user_data);
    try {
      ecp_hook_reply scratch{};  // hook points that take no decision may pass no reply
      scratch.size = sizeof scratch;
      const event_view view{event, slot->api};
      return static_cast<ecp_hook_result>(slot->fn(view, reply != nullptr ? *reply : scratch));
    } catch (const std::exception& e) {
      log_hook_exception(*slot, e.what());
    } catch (...) {
      log_hook_exception(*slot, "an exception not derived from std::exception");
    }
    return ECP_HOOK_CRASHED;
  }

  static void log_hook_exception(const hook_slot& slot, const char* what) noexcept {
    char context[64] = "hook ";
    const std::string_view name = hook_name(slot.hook);
    name.copy(context + 5, sizeof context - 6);
    detail::log_exception(slot.api, slot.self, context, what);
  }

  sdk::host host_;
  std::vector<std::unique_ptr<hook_slot>> hooks_;
};

namespace detail {

struct plugin_access {
  static void attach(plugin& p, const ecp_host_api* api, ecp_plugin* self) {
    p.host_ = sdk::host{api, self};
  }
  static sdk::host& host_of(plugin& p) noexcept { return p.host_; }
};

// The descriptor's callbacks for plugin class T; each catches what T throws.
template <class T>
struct lifecycle {
  static_assert(std::is_base_of_v<plugin, T>, "a plugin class derives from emqx_cpp::sdk::plugin");
  static_assert(std::is_default_constructible_v<T>, "a plugin class is default-constructible");

  static ecp_status on_init(const ecp_host_api* api, ecp_plugin* self, void** state) noexcept {
    if (api == nullptr || state == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    *state = nullptr;
    plugin* instance = nullptr;
    ecp_status status = guarded(api, self, "the plugin's constructor", [&] {
      instance = new T();  // NOLINT(bugprone-unhandled-exception-at-new): guarded() catches
      return ECP_OK;
    });
    if (status != ECP_OK) return status;
    status = guarded(api, self, "init", [&] {
      plugin_access::attach(*instance, api, self);
      return instance->init();
    });
    if (status != ECP_OK) {
      delete instance;  // whether or not the broker calls on_destroy, it gets NULL
      return status;
    }
    *state = instance;
    return ECP_OK;
  }

  static ecp_status on_start(void* state) noexcept { return call(state, "start", &plugin::start); }
  static ecp_status on_stop(void* state) noexcept { return call(state, "stop", &plugin::stop); }
  static ecp_status on_health(void* state) noexcept {
    auto* p = static_cast<plugin*>(state);
    if (p != nullptr && plugin_access::host_of(*p).crashed()) return ECP_ERR_CRASHED;
    return call(state, "health", &plugin::health);
  }
  static void on_destroy(void* state) noexcept { delete static_cast<plugin*>(state); }

 private:
  static ecp_status call(void* state, const char* what, ecp_status (plugin::*fn)()) noexcept {
    auto* p = static_cast<plugin*>(state);
    if (p == nullptr) return ECP_ERR_WRONG_STATE;
    const sdk::host& h = plugin_access::host_of(*p);
    return guarded(h.api(), h.self(), what, [&] { return (p->*fn)(); });
  }
};

template <class T>
constexpr ecp_plugin_descriptor descriptor_for(const char* name, const char* version,
                                               const char* description) noexcept {
  return ecp_plugin_descriptor{sizeof(ecp_plugin_descriptor),
                               {ECP_ABI_MAJOR, ECP_ABI_MINOR},
                               name,
                               version,
                               description,
                               &lifecycle<T>::on_init,
                               &lifecycle<T>::on_start,
                               &lifecycle<T>::on_stop,
                               &lifecycle<T>::on_health,
                               &lifecycle<T>::on_destroy};
}

}  // namespace detail

// The ABI negotiation rule. A plugin is built for {ECP_ABI_MAJOR, ECP_ABI_MINOR}, the
// version of the plugin.h it was compiled with. The broker offers one entry per major
// version it speaks, carrying the highest minor it implements; because minors only
// append, a broker offering {1, 3} also speaks 1.0, 1.1 and 1.2. The plugin accepts when
// some offer has its major and a minor at least its own, and then reports its own
// version, exactly: the broker learns which members of the tables the plugin knows. It
// refuses (the entry returns NULL) when no offer has its major, or when the broker's
// minor is older than the plugin's: the plugin may call host members the broker lacks.
inline bool abi_acceptable(const ecp_abi_version* offered, std::size_t offered_count) noexcept {
  // Named constants: `minor >= ECP_ABI_MINOR` with a literal 0 trips -Wtype-limits.
  constexpr std::uint16_t our_major = ECP_ABI_MAJOR;
  constexpr std::uint16_t our_minor = ECP_ABI_MINOR;
  if (offered == nullptr) return false;
  for (std::size_t i = 0; i < offered_count; ++i) {
    if (offered[i].major == our_major && offered[i].minor >= our_minor) return true;
  }
  return false;
}

namespace detail {
inline const ecp_plugin_descriptor* negotiate(const ecp_plugin_descriptor* descriptor,
                                              const ecp_abi_version* offered,
                                              std::size_t offered_count) noexcept {
  return abi_acceptable(offered, offered_count) ? descriptor : nullptr;
}
}  // namespace detail

}  // namespace emqx_cpp::sdk

// Defines `entry_name` with the signature of ecp_plugin_entry_fn for plugin class
// `plugin_class`, with a static descriptor. EMQX_CPP_PLUGIN below is what a plugin uses;
// this one lets a test build several entries into one program.
#define EMQX_CPP_PLUGIN_DEFINE_ENTRY(entry_name, plugin_class, plugin_name, plugin_version,       \
                                     plugin_description)                                          \
  const ecp_plugin_descriptor* entry_name(const ecp_abi_version* offered, size_t offered_count) { \
    static constexpr ecp_plugin_descriptor descriptor =                                           \
        ::emqx_cpp::sdk::detail::descriptor_for<plugin_class>(plugin_name, plugin_version,        \
                                                              plugin_description);                \
    return ::emqx_cpp::sdk::detail::negotiate(&descriptor, offered, offered_count);               \
  }

// Exports the plugin's one symbol, emqx_cpp_plugin_entry. Use it once, at namespace
// scope, in one source file of the plugin. `plugin_name` must equal the manifest's name
// and the plugin's name under [plugins] in broker.toml.
#define EMQX_CPP_PLUGIN(plugin_class, plugin_name, plugin_version, plugin_description) \
  extern "C" ECP_EXPORT EMQX_CPP_PLUGIN_DEFINE_ENTRY(                                  \
      emqx_cpp_plugin_entry, plugin_class, plugin_name, plugin_version, plugin_description)
