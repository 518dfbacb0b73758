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

  // ---- ABI 1.1 ----
  api_.api_publish_v5 = [](ecp_plugin* s, const char* topic, const void* payload, std::size_t len,
                           std::uint8_t qos, std::uint8_t retain,
                           const ecp_publish_properties* props) -> ecp_status {
    auto& h = from(s);
    if (topic == nullptr || *topic == '\0' || qos > 2 || (payload == nullptr && len != 0)) {
      return ECP_ERR_INVALID_ARGUMENT;
    }
    published_message m{topic, std::string{static_cast<const char*>(payload), len}, qos,
                        retain != 0};
    if (props != nullptr) {
      published_message::properties p;
      p.payload_format_indicator = props->payload_format_indicator;
      p.message_expiry_interval = props->message_expiry_interval;
      if (props->content_type != nullptr) p.content_type = props->content_type;
      if (props->response_topic != nullptr) p.response_topic = props->response_topic;
      if (props->correlation_data != nullptr) {
        p.correlation_data = std::string{static_cast<const char*>(props->correlation_data),
                                         props->correlation_data_len};
      }
      for (std::size_t i = 0; i < props->user_property_count; ++i) {
        const auto& up = props->user_properties[i];
        if (up.key == nullptr || up.value == nullptr) return ECP_ERR_INVALID_ARGUMENT;
        p.user_properties.emplace_back(up.key, up.value);
      }
      m.props = std::move(p);
    }
    const std::lock_guard lock{h.mutex_};
    h.published_.push_back(std::move(m));
    return ECP_OK;
  };
  api_.api_authz_cache_clear = [](ecp_plugin* s, const char* client_id) -> ecp_status {
    auto& h = from(s);
    const std::lock_guard lock{h.mutex_};
    h.authz_clears_.emplace_back(client_id == nullptr ? "" : client_id);
    return ECP_OK;
  };
  api_.api_metrics_visit = [](ecp_plugin* s, ecp_on_metric each, void* ctx) -> ecp_status {
    auto& h = from(s);
    if (each == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    const auto all = h.locked_copy(h.metrics);
    for (const auto& m : all) {
      ecp_metric out{};
      out.size = sizeof out;
      out.name = m.name.c_str();
      out.labels = m.labels.c_str();
      out.type = m.type;
      out.help = "";
      out.value = m.value;
      each(ctx, &out);
    }
    return ECP_OK;
  };
  api_.api_node_name = [](ecp_plugin* s) -> const char* { return from(s).node_name.c_str(); };
  api_.api_register_ctl = [](ecp_plugin* s, const char* command, const char* usage,
                             ecp_on_mgmt callback, void* user_data) -> ecp_status {
    auto& h = from(s);
    if (command == nullptr || *command == '\0' || callback == nullptr)
      return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    for (const auto& m : h.mgmt_) {
      if (m.method == "CTL" && m.path == command) return ECP_ERR_BUSY;
    }
    h.mgmt_.push_back({"CTL", command, usage == nullptr ? "" : usage, callback, user_data});
    return ECP_OK;
  };
  api_.api_register_route = [](ecp_plugin* s, const char* method, const char* path,
                               ecp_on_mgmt callback, void* user_data) -> ecp_status {
    auto& h = from(s);
    if (method == nullptr || path == nullptr || callback == nullptr ||
        std::string_view{path}.rfind("/api/v5/", 0) != 0)
      return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    for (const auto& m : h.mgmt_) {
      if (m.method == method && m.path == path) return ECP_ERR_BUSY;
    }
    h.mgmt_.push_back({method, path, "", callback, user_data});
    return ECP_OK;
  };
  api_.api_mgmt_reply = [](ecp_plugin* s, std::uint64_t id, std::int32_t status,
                           const char* content_type, const void* body,
                           std::size_t len) -> ecp_status {
    auto& h = from(s);
    if (body == nullptr && len != 0) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    for (const auto& r : h.mgmt_replies_) {
      if (r.request_id == id) return ECP_ERR_NOT_FOUND;  // answered already
    }
    h.mgmt_replies_.push_back({id, status,
                               content_type == nullptr ? "application/json" : content_type,
                               std::string{static_cast<const char*>(body), len}});
    return ECP_OK;
  };
  api_.api_provider_complete = [](ecp_plugin* s, std::uint64_t token, ecp_status status,
                                  const void* data, std::size_t len) -> ecp_status {
    auto& h = from(s);
    if (data == nullptr && len != 0) return ECP_ERR_INVALID_ARGUMENT;
    const std::lock_guard lock{h.mutex_};
    h.provider_completions_.push_back(
        {token, status, std::string{static_cast<const char*>(data), len}});
    return ECP_OK;
  };
  api_.api_cluster_routes = [](ecp_plugin* s, const char* from_node, const ecp_route_delta* d,
                               std::size_t n) -> ecp_status {
    auto& h = from(s);
    if (from_node == nullptr || (d == nullptr && n != 0)) return ECP_ERR_INVALID_ARGUMENT;
    cluster_call c{"routes", from_node};
    for (std::size_t i = 0; i < n; ++i)
      c.deltas.emplace_back(d[i].filter == nullptr ? "" : d[i].filter, d[i].op);
    const std::lock_guard lock{h.mutex_};
    h.cluster_calls_.push_back(std::move(c));
    return ECP_OK;
  };
  api_.api_cluster_deliver = [](ecp_plugin* s, const char* from_node, const void* batch,
                                std::size_t len) -> ecp_status {
    auto& h = from(s);
    if (from_node == nullptr || (batch == nullptr && len != 0)) return ECP_ERR_INVALID_ARGUMENT;
    cluster_call c{"deliver", from_node};
    c.batch.assign(static_cast<const char*>(batch), len);
    const std::lock_guard lock{h.mutex_};
    h.cluster_calls_.push_back(std::move(c));
    return ECP_OK;
  };
  api_.api_cluster_peer = [](ecp_plugin* s, const char* node, int up) -> ecp_status {
    auto& h = from(s);
    if (node == nullptr) return ECP_ERR_INVALID_ARGUMENT;
    cluster_call c{"peer", node};
    c.up = up != 0;
    const std::lock_guard lock{h.mutex_};
    h.cluster_calls_.push_back(std::move(c));
    return ECP_OK;
  };
}

}  // namespace emqx_cpp::sdk::testing
