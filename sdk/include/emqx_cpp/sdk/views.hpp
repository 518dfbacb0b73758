// SPDX-License-Identifier: Apache-2.0
//
// Part of the C++ plugin SDK; include <emqx_cpp/plugin.hpp> rather than this file.
// Views over what a hook receives (the client, the message, the event) that speak
// std::string_view, std::span and std::optional instead of pointers, lengths and NULLs.
// A view copies nothing and lives as long as what it views, which for a hook is the
// call itself. The one exception is client_view::copy_of, which owns its strings
// because host::client_info hands out strings that the next call overwrites.
#pragma once

#include <emqx_cpp/plugin.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

// The member of an ecp_host_api table, or nullptr when the broker's table is too short
// to have it (a broker of an older minor version). Every wrapper call goes through it.
#define EMQX_CPP_SDK_API_FN(api, member) \
  (((api) != nullptr && ECP_HAS_MEMBER(ecp_host_api, (api), member)) ? (api)->member : nullptr)

namespace emqx_cpp::sdk {

// What a hook answers; the values are those of ecp_hook_result.
enum class hook_result : int {
  continue_chain = ECP_HOOK_CONTINUE,  // no opinion: the next callback decides
  stop = ECP_HOOK_STOP,                // decided: the reply holds the decision
  async = ECP_HOOK_ASYNC,              // authenticate/authorize: host::complete answers later
  crashed = ECP_HOOK_CRASHED,          // the plugin failed (the wrapper returns it on a throw)
};

// Sets the reply of a deciding hook and returns hook_result::stop, so a hook can end with
// `return stop_with(reply, ECP_RC_BANNED);`. `is_superuser` matters to authenticate only.
inline hook_result stop_with(ecp_hook_reply& reply, ecp_status code,
                             bool is_superuser = false) noexcept {
  reply.code = code;
  if (ECP_HAS_MEMBER(ecp_hook_reply, &reply, is_superuser)) {
    reply.is_superuser = is_superuser ? 1 : 0;
  }
  return hook_result::stop;
}

// EMQX's name of a hook point ("message.publish"), for logs; "unknown" for a value this
// header does not know (a hook point added by a newer broker).
inline std::string_view hook_name(ecp_hook_point hook) noexcept {
  switch (hook) {
    case ECP_HOOK_CLIENT_CONNECT:
      return "client.connect";
    case ECP_HOOK_CLIENT_CONNACK:
      return "client.connack";
    case ECP_HOOK_CLIENT_CONNECTED:
      return "client.connected";
    case ECP_HOOK_CLIENT_DISCONNECTED:
      return "client.disconnected";
    case ECP_HOOK_CLIENT_AUTHENTICATE:
      return "client.authenticate";
    case ECP_HOOK_CLIENT_AUTHORIZE:
      return "client.authorize";
    case ECP_HOOK_CLIENT_SUBSCRIBE:
      return "client.subscribe";
    case ECP_HOOK_CLIENT_UNSUBSCRIBE:
      return "client.unsubscribe";
    case ECP_HOOK_SESSION_CREATED:
      return "session.created";
    case ECP_HOOK_SESSION_SUBSCRIBED:
      return "session.subscribed";
    case ECP_HOOK_SESSION_UNSUBSCRIBED:
      return "session.unsubscribed";
    case ECP_HOOK_SESSION_RESUMED:
      return "session.resumed";
    case ECP_HOOK_SESSION_DISCARDED:
      return "session.discarded";
    case ECP_HOOK_SESSION_TAKENOVER:
      return "session.takenover";
    case ECP_HOOK_SESSION_TERMINATED:
      return "session.terminated";
    case ECP_HOOK_MESSAGE_PUBLISH:
      return "message.publish";
    case ECP_HOOK_MESSAGE_DELIVERED:
      return "message.delivered";
    case ECP_HOOK_MESSAGE_ACKED:
      return "message.acked";
    case ECP_HOOK_MESSAGE_DROPPED:
      return "message.dropped";
    case ECP_HOOK_DELIVERY_DROPPED:
      return "delivery.dropped";
    case ECP_HOOK_CLIENT_AUTH_EXCHANGE:
      return "client.auth_exchange";
  }
  return "unknown";
}

namespace detail {

inline std::string_view view(const char* s) noexcept {
  return s == nullptr ? std::string_view{} : std::string_view{s};
}

inline std::string_view view(const char* s, std::size_t n) noexcept {
  return s == nullptr ? std::string_view{} : std::string_view{s, n};
}

// A NUL-terminated copy of a string_view for the C API. Short strings stay on the stack,
// so a counter bumped once per message does not allocate. A string with an embedded NUL
// is cut there: the C API cannot carry it.
class zstring {
 public:
  explicit zstring(std::string_view s) {
    if (s.size() < sizeof(small_)) {
      s.copy(small_, s.size());
      small_[s.size()] = '\0';
      ptr_ = small_;
    } else {
      large_.assign(s);
      ptr_ = large_.c_str();
    }
  }
  zstring(const zstring&) = delete;
  zstring& operator=(const zstring&) = delete;

  const char* c_str() const noexcept { return ptr_; }
  // NULL for an empty string: the C API's "not given" (metric labels).
  const char* c_str_or_null() const noexcept { return ptr_[0] == '\0' ? nullptr : ptr_; }

 private:
  char small_[128];
  std::string large_;
  const char* ptr_ = small_;
};

}  // namespace detail

// A client as a hook sees it. From an event it views the broker's strings (valid during
// the hook call); from copy_of (what host::client_info returns) it owns them, and copies
// of the view share them.
struct client_view {
  std::string_view client_id;
  std::optional<std::string_view> username;  // nullopt when the client gave none
  std::string_view peer;                     // "ip:port" or "[ip6]:port"
  std::string_view listener;                 // "tcp:default"
  std::uint8_t protocol_version = 0;         // 3, 4 or 5
  bool is_superuser = false;
  bool clean_start = false;
  std::uint16_t keepalive = 0;

  static client_view of(const ecp_client_info& info) noexcept {
    client_view v;
    v.client_id = detail::view(info.client_id);
    if (info.username != nullptr) v.username = std::string_view{info.username};
    v.peer = detail::view(info.peer);
    v.listener = detail::view(info.listener);
    v.protocol_version = info.protocol_version;
    v.is_superuser = info.is_superuser != 0;
    v.clean_start = info.clean_start != 0;
    v.keepalive = info.keepalive;
    return v;
  }

  static client_view copy_of(const ecp_client_info& info) {
    auto owned = std::make_shared<strings>();
    owned->client_id = detail::view(info.client_id);
    owned->username = detail::view(info.username);
    owned->peer = detail::view(info.peer);
    owned->listener = detail::view(info.listener);
    client_view v = of(info);
    v.client_id = owned->client_id;
    if (v.username) v.username = std::string_view{owned->username};
    v.peer = owned->peer;
    v.listener = owned->listener;
    v.owned_ = std::move(owned);
    return v;
  }

 private:
  // Heap-allocated so the views above stay valid when the client_view is copied or moved.
  struct strings {
    std::string client_id, username, peer, listener;
  };
  std::shared_ptr<const strings> owned_;
};

// A message inside a message.* hook. Getters view the broker's copy for the duration of
// the call. Setters work in message.publish only (ECP_ERR_WRONG_STATE elsewhere) and
// change the message for the rest of the chain and for delivery.
class message_view {
 public:
  message_view(ecp_message* message, const ecp_host_api* api) noexcept
      : message_(message), api_(api) {}

  std::string_view topic() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_topic);
    if (fn == nullptr) return {};
    std::size_t len = 0;
    const char* p = fn(message_, &len);
    return detail::view(p, len);
  }
  std::span<const std::byte> payload() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_payload);
    if (fn == nullptr) return {};
    std::size_t len = 0;
    const void* p = fn(message_, &len);
    if (p == nullptr) return {};
    return {static_cast<const std::byte*>(p), len};
  }
  // The payload as text (no check that it is UTF-8).
  std::string_view payload_text() const noexcept {
    const auto bytes = payload();
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  std::uint8_t qos() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_qos);
    return fn == nullptr ? 0 : fn(message_);
  }
  bool retain() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_retain);
    return fn != nullptr && fn(message_) != 0;
  }
  // The publishing client's id; empty for a message the broker publishes itself.
  std::string_view publisher() const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_publisher);
    return fn == nullptr ? std::string_view{} : detail::view(fn(message_));
  }

  ecp_status set_topic(std::string_view topic) const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_set_topic);
    return fn == nullptr ? ECP_ERR_UNSUPPORTED : fn(message_, topic.data(), topic.size());
  }
  ecp_status set_payload(std::span<const std::byte> payload) const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_set_payload);
    return fn == nullptr ? ECP_ERR_UNSUPPORTED : fn(message_, payload.data(), payload.size());
  }
  ecp_status set_payload(std::string_view payload) const noexcept {
    return set_payload(std::as_bytes(std::span{payload.data(), payload.size()}));
  }
  ecp_status set_qos(std::uint8_t qos) const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_set_qos);
    return fn == nullptr ? ECP_ERR_UNSUPPORTED : fn(message_, qos);
  }
  ecp_status set_retain(bool retain) const noexcept {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_set_retain);
    return fn == nullptr ? ECP_ERR_UNSUPPORTED : fn(message_, retain ? 1 : 0);
  }
  // Adds an MQTT 5 User Property (delivered to MQTT 5 subscribers only).
  ecp_status add_user_property(std::string_view key, std::string_view value) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_message_add_user_property);
    if (fn == nullptr) return ECP_ERR_UNSUPPORTED;
    const detail::zstring k{key};
    const detail::zstring v{value};
    return fn(message_, k.c_str(), v.c_str());
  }

  ecp_message* raw() const noexcept { return message_; }

 private:
  ecp_message* message_;
  const ecp_host_api* api_;
};

// What a hook is told. Which members are set depends on the hook point (plugin.h and
// docs/plugins/README.md list them); the others read as empty, zero or nullopt.
class event_view {
 public:
  event_view(const ecp_event* event, const ecp_host_api* api) noexcept : event_(event), api_(api) {}

  ecp_hook_point hook() const noexcept { return static_cast<ecp_hook_point>(event_->hook); }
  // nullopt for messages the broker publishes itself.
  std::optional<client_view> client() const noexcept {
    if (event_->client == nullptr) return std::nullopt;
    return client_view::of(*event_->client);
  }
  // Set in message.* hooks.
  std::optional<message_view> message() const noexcept {
    if (event_->message == nullptr) return std::nullopt;
    return message_view{event_->message, api_};
  }
  std::string_view topic() const noexcept { return detail::view(event_->topic); }
  std::uint8_t qos() const noexcept { return event_->qos; }
  bool retain() const noexcept { return event_->retain != 0; }
  ecp_action action() const noexcept { return static_cast<ecp_action>(event_->action); }
  std::int32_t reason() const noexcept { return event_->reason; }
  // client.authenticate: the password, which may hold NUL bytes; nullopt when none given.
  std::optional<std::string_view> password() const noexcept {
    if (event_->password == nullptr) return std::nullopt;
    return std::string_view{event_->password, event_->password_len};
  }
  // client.authenticate / client.authorize: what host::complete needs after an async reply.
  std::uint64_t token() const noexcept { return event_->token; }

  // client.subscribe / client.unsubscribe: replace the topic filter being handled; the
  // rest of the chain and the broker see the new one.
  ecp_status set_topic(std::string_view filter) const {
    auto fn = EMQX_CPP_SDK_API_FN(api_, api_event_set_topic);
    if (fn == nullptr) return ECP_ERR_UNSUPPORTED;
    const detail::zstring f{filter};
    return fn(event_, f.c_str());
  }

  const ecp_event* raw() const noexcept { return event_; }

 private:
  const ecp_event* event_;
  const ecp_host_api* api_;
};

}  // namespace emqx_cpp::sdk
