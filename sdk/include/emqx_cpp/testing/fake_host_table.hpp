// SPDX-License-Identifier: Apache-2.0
//
// The other half of fake_host.hpp (included by it; do not include this file alone): the
// ecp_host_api table itself, one lambda per api_* member. Each one is what the broker
// promises in plugin.h, reduced to recording and checking its arguments, so reading
// this file is a quick way to see what every call may return.
#pragma once

#include <emqx_cpp/testing/fake_host.hpp>

namespace emqx_cpp::sdk::testing {

inline void fake_host::fill_table() {
  api_.size = sizeof(ecp_host_api);
  api_.abi = {ECP_ABI_MAJOR, ECP_ABI_MINOR};
  api_.api_log = [](ecp_plugin* s, ecp_log_level level, const char* m) {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    h.logs_.push_back({level, m == nullptr ? std::string{} : std::string{m}});
  };
  api_.api_counter_add = [](ecp_plugin* s, const char* name, const char* labels, std::uint64_t n) {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    h.counters_[key(name, labels)] += n;
  };
  api_.api_gauge_set = [](ecp_plugin* s, const char* name, const char* labels, std::int64_t v) {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    h.gauges_[key(name, labels)] = v;
  };
  api_.api_histogram_observe = [](ecp_plugin* s, const char* name, const char* labels, double v) {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    h.histograms_[key(name, labels)].push_back(v);
  };
  api_.api_register_hook = [](ecp_plugin* s, ecp_hook_point hook, std::int32_t priority,
                              ecp_on_hook callback, void* user_data) -> std::uint64_t {
    auto& h = from(s);
    if (callback == nullptr || hook < 1 || hook > ECP_HOOK_POINT_COUNT) return 0;
    const std::lock_guard lock{h.mutex_};
    const std::uint64_t id = h.next_id_++;
    h.hooks_.push_back({id, hook, priority, callback, user_data});
    return id;
  };
  api_.api_unregister_hook = [](ecp_plugin* s, std::uint64_t id) -> ecp_status {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    return std::erase_if(h.hooks_, [&](const auto& r) { return r.id == id; }) != 0
               ? ECP_OK
               : ECP_ERR_NOT_FOUND;
  };
  api_.api_register_provider = [](ecp_plugin* s, ecp_provider_kind kind, const void* vtable,
                                  void* state) -> ecp_status {
    auto& h = from(s);
    if (vtable == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    for (const auto& p : h.providers_) {
      if (p.kind == kind) return ECP_ERR_BUSY;  // one provider per kind
    }
    h.providers_.push_back({kind, vtable, state});
    return ECP_OK;
  };
  api_.api_publish = [](ecp_plugin* s, const char* topic, const void* payload, std::size_t len,
                        std::uint8_t qos, std::uint8_t retain) -> ecp_status {
    auto& h = from(s);
    if (topic == nullptr || *topic == '\0' || qos > 2 || (payload == nullptr && len != 0)) {
      return ECP_ERR_INVALID_ARGUMENT;
    }
    const std::lock_guard lock{h.mutex_};
    h.published_.push_back(
        {topic, std::string{static_cast<const char*>(payload), len}, qos, retain != 0});
    return ECP_OK;
  };
  api_.api_kick = [](ecp_plugin* s, const char* client_id) -> ecp_status {
    auto& h = from(s);
    if (client_id == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    h.kicks_.emplace_back(client_id);
    return ECP_OK;
  };
  api_.api_subscribe = [](ecp_plugin* s, const char* client_id, const char* filter,
                          std::uint8_t qos, std::uint8_t no_local, std::uint8_t rap,
                          std::uint8_t rh) -> ecp_status {
    auto& h = from(s);
    if (client_id == nullptr || filter == nullptr || qos > 2 || rh > 2) {
      return ECP_ERR_INVALID_ARGUMENT;
    }
    const std::lock_guard lock{h.mutex_};
    h.subscriptions_.push_back({client_id, filter, qos, no_local, rap, rh});
    return ECP_OK;
  };
  api_.api_timer_start = [](ecp_plugin* s, std::uint64_t delay, std::uint64_t repeat,
                            ecp_on_timer callback, void* arg) -> std::uint64_t {
    auto& h = from(s);
    if (callback == nullptr) return 0;
    const std::lock_guard lock{h.mutex_};
    const std::uint64_t id = h.next_id_++;
    h.timers_.push_back({id, h.now_ms_ + delay, repeat, callback, arg});
    return id;
  };
  api_.api_timer_cancel = [](ecp_plugin* s, std::uint64_t id) -> ecp_status {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    return std::erase_if(h.timers_, [&](const auto& t) { return t.id == id; }) != 0
               ? ECP_OK
               : ECP_ERR_NOT_FOUND;
  };
  api_.api_config_string = [](ecp_plugin* s, const char* path, const char** value,
                              std::size_t* len) -> ecp_status {
    if (value == nullptr || len == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    const auto it = path == nullptr ? h.config.end() : h.config.find(path);
    if (it == h.config.end()) return path == nullptr ? ECP_ERR_INVALID_ARGUMENT : ECP_ERR_NOT_FOUND;
    const auto* str = std::get_if<std::string>(&it->second);
    if (str == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    *value = str->data();  // not NUL-terminated by contract; this one happens to be
    *len = str->size();
    return ECP_OK;
  };
  api_.api_config_int = [](ecp_plugin* s, const char* path, std::int64_t* v) {
    return from(s).config_lookup<std::int64_t>(path, v);
  };
  api_.api_config_double = [](ecp_plugin* s, const char* path, double* v) {
    return from(s).config_lookup<double>(path, v);
  };
  api_.api_config_bool = [](ecp_plugin* s, const char* path, int* v) -> ecp_status {
    bool b = false;
    const ecp_status status = from(s).config_lookup<bool>(path, &b);
    if (status == ECP_OK) *v = b ? 1 : 0;
    return status;
  };
  api_.api_config_count = [](ecp_plugin* s, const char* path, std::size_t* n) {
    return from(s).config_size(path, n);
  };
  api_.api_complete = [](ecp_plugin* s, std::uint64_t token, ecp_hook_result result,
                         const ecp_hook_reply* reply) -> ecp_status {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    ecp_status status = ECP_OK;
    if (h.expired_tokens_.count(token) != 0) {
      status = ECP_ERR_TIMEOUT;
    } else if (h.pending_tokens_.erase(token) == 0) {
      status = ECP_ERR_NOT_FOUND;
    } else if (result == ECP_HOOK_ASYNC || (result == ECP_HOOK_STOP && reply == nullptr)) {
      h.pending_tokens_.insert(token);  // still waiting for a real answer
      status = ECP_ERR_INVALID_ARGUMENT;
    }
    ecp_hook_reply copy{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
    if (reply != nullptr)
      std::memcpy(&copy, reply, std::min<std::size_t>(reply->size, sizeof copy));
    h.completions_.push_back({token, result, copy, status});
    return status;
  };
  api_.api_client_info = [](ecp_plugin* s, const char* client_id,
                            ecp_client_info* info) -> ecp_status {
    // The caller says how large its struct is; the fake fills no more than that.
    if (client_id == nullptr || info == nullptr || info->size == 0) return ECP_ERR_INVALID_ARGUMENT;
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    const auto it = h.clients_.find(client_id);
    if (it == h.clients_.end()) return ECP_ERR_NOT_FOUND;
    ecp_client_info full = to_info(it->second);
    full.size = static_cast<std::uint32_t>(std::min<std::size_t>(info->size, sizeof full));
    std::memcpy(info, &full, full.size);
    return ECP_OK;
  };
  api_.api_message_topic = [](const ecp_message* m, std::size_t* len) -> const char* {
    *len = msg(m).topic.size();
    return msg(m).topic.data();
  };
  api_.api_message_payload = [](const ecp_message* m, std::size_t* len) -> const void* {
    *len = msg(m).payload.size();
    return msg(m).payload.data();
  };
  api_.api_message_qos = [](const ecp_message* m) { return msg(m).qos; };
  api_.api_message_retain = [](const ecp_message* m) -> std::uint8_t {
    return msg(m).retain ? 1 : 0;
  };
  api_.api_message_publisher = [](const ecp_message* m) { return msg(m).publisher.c_str(); };
  api_.api_message_set_topic = [](ecp_message* m, const char* topic,
                                  std::size_t len) -> ecp_status {
    if (!msg(m).writable) return ECP_ERR_WRONG_STATE;
    if (topic == nullptr || len == 0) return ECP_ERR_INVALID_ARGUMENT;
    msg(m).topic.assign(topic, len);
    return ECP_OK;
  };
  api_.api_message_set_payload = [](ecp_message* m, const void* p, std::size_t len) -> ecp_status {
    if (!msg(m).writable) return ECP_ERR_WRONG_STATE;
    if (p == nullptr && len != 0) return ECP_ERR_INVALID_ARGUMENT;
    msg(m).payload.assign(static_cast<const char*>(p), len);
    return ECP_OK;
  };
  api_.api_message_set_qos = [](ecp_message* m, std::uint8_t qos) -> ecp_status {
    if (!msg(m).writable) return ECP_ERR_WRONG_STATE;
    if (qos > 2) return ECP_ERR_INVALID_ARGUMENT;
    msg(m).qos = qos;
    return ECP_OK;
  };
  api_.api_message_set_retain = [](ecp_message* m, std::uint8_t retain) -> ecp_status {
    if (!msg(m).writable) return ECP_ERR_WRONG_STATE;
    msg(m).retain = retain != 0;
    return ECP_OK;
  };
  api_.api_message_add_user_property = [](ecp_message* m, const char* k,
                                          const char* v) -> ecp_status {
    if (!msg(m).writable) return ECP_ERR_WRONG_STATE;
    if (k == nullptr || v == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    msg(m).user_properties.emplace_back(k, v);
    return ECP_OK;
  };
  api_.api_event_set_topic = [](const ecp_event* event, const char* topic) -> ecp_status {
    if (event == nullptr || topic == nullptr || *topic == '\0') return ECP_ERR_INVALID_ARGUMENT;
    if (event->hook != ECP_HOOK_CLIENT_SUBSCRIBE && event->hook != ECP_HOOK_CLIENT_UNSUBSCRIBE) {
      return ECP_ERR_WRONG_STATE;
    }
    // The event is the first member of a box fire() owns (not const): later callbacks
    // in the chain see the new filter, as in the broker.
    auto* box = const_cast<event_box*>(reinterpret_cast<const event_box*>(event));
    *box->topic = topic;
    box->event.topic = box->topic->c_str();
    return ECP_OK;
  };
}

}  // namespace emqx_cpp::sdk::testing
