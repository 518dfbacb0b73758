// SPDX-License-Identifier: Apache-2.0
//
// The broker's side of ecp_host_api: plain functions that turn the C calls into calls
// on the plugin instance, the hook registry and the broker services. Nothing here may
// throw across the boundary; bad arguments come back as ECP_ERR_INVALID_ARGUMENT.
#include "plugin/host_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "plugin/plugin_instance.hpp"

namespace emqx_cpp::plugin {

namespace {
plugin_instance* of(ecp_plugin* self) {
  return self == nullptr ? nullptr : self->instance;
}

runtime::metric_labels parse_labels(const char* labels) {
  runtime::metric_labels out;
  if (labels == nullptr) return out;
  std::string_view rest(labels);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto pair = rest.substr(0, comma);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos)
      out.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string metric_name(plugin_instance& p, const char* name) {
  return fmt::format("emqx_cpp_plugin_{}_{}", p.info().name, name);
}

void api_log(ecp_plugin* self, ecp_log_level level, const char* message) {
  auto* p = of(self);
  if (p == nullptr || message == nullptr) return;
  const auto lvl = level >= ECP_LOG_ERROR     ? spdlog::level::err
                   : level == ECP_LOG_WARNING ? spdlog::level::warn
                   : level == ECP_LOG_INFO    ? spdlog::level::info
                                              : spdlog::level::debug;
  p->log().log(lvl, "[{}] {}", p->info().name, message);
}

void api_counter_add(ecp_plugin* self, const char* name, const char* labels, std::uint64_t n) {
  auto* p = of(self);
  if (p == nullptr || name == nullptr) return;
  p->ctx().services.metrics().counter(metric_name(*p, name), parse_labels(labels)).inc(n);
}

void api_gauge_set(ecp_plugin* self, const char* name, const char* labels, std::int64_t value) {
  auto* p = of(self);
  if (p == nullptr || name == nullptr) return;
  p->ctx().services.metrics().gauge(metric_name(*p, name), parse_labels(labels)).set(value);
}

void api_histogram_observe(ecp_plugin* self, const char* name, const char* labels, double value) {
  auto* p = of(self);
  if (p == nullptr || name == nullptr) return;
  static const std::vector<double> bounds = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
  p->ctx()
      .services.metrics()
      .histogram(metric_name(*p, name), parse_labels(labels), bounds)
      .observe(value);
}

std::uint64_t api_register_hook(ecp_plugin* self, ecp_hook_point hook, std::int32_t priority,
                                ecp_on_hook callback, void* user_data) {
  auto* p = of(self);
  if (p == nullptr) return 0;
  return p->register_hook(hook, priority, callback, user_data);
}

ecp_status api_unregister_hook(ecp_plugin* self, std::uint64_t id) {
  auto* p = of(self);
  return p == nullptr ? ECP_ERR_INVALID_ARGUMENT : p->unregister_hook(id);
}

ecp_status api_register_provider(ecp_plugin* self, ecp_provider_kind kind, const void* vtable,
                                 void* provider_state) {
  auto* p = of(self);
  if (p == nullptr || vtable == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.register_provider(p, kind, vtable, provider_state);
}

ecp_status api_publish(ecp_plugin* self, const char* topic, const void* payload,
                       std::size_t payload_len, std::uint8_t qos, std::uint8_t retain) {
  auto* p = of(self);
  if (p == nullptr || topic == nullptr || (payload == nullptr && payload_len != 0) || qos > 2)
    return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.publish("plugin:" + p->info().name, topic,
                                   std::string_view(static_cast<const char*>(payload), payload_len),
                                   qos, retain != 0, nullptr);
}

ecp_status api_publish_v5(ecp_plugin* self, const char* topic, const void* payload,
                          std::size_t payload_len, std::uint8_t qos, std::uint8_t retain,
                          const ecp_publish_properties* props) {
  auto* p = of(self);
  if (p == nullptr || topic == nullptr || (payload == nullptr && payload_len != 0) || qos > 2)
    return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.publish("plugin:" + p->info().name, topic,
                                   std::string_view(static_cast<const char*>(payload), payload_len),
                                   qos, retain != 0, props);
}

ecp_status api_authz_cache_clear(ecp_plugin* self, const char* client_id) {
  auto* p = of(self);
  if (p == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.clear_authz_cache(client_id == nullptr ? "" : client_id);
}

ecp_status api_metrics_visit(ecp_plugin* self, ecp_on_metric each, void* ctx) {
  auto* p = of(self);
  if (p == nullptr || each == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  p->ctx().services.visit_metrics([&](const ecp_metric& m) { each(ctx, &m); });
  return ECP_OK;
}

const char* api_node_name(ecp_plugin* self) {
  auto* p = of(self);
  return p == nullptr ? "" : p->ctx().services.node_name().c_str();
}

ecp_status api_register_ctl(ecp_plugin* self, const char* command, const char* usage,
                            ecp_on_mgmt callback, void* user_data) {
  auto* p = of(self);
  if (p == nullptr || command == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().mgmt.register_ctl(p, p->info().name, command, usage == nullptr ? "" : usage,
                                    callback, user_data);
}

ecp_status api_register_route(ecp_plugin* self, const char* method, const char* path,
                              ecp_on_mgmt callback, void* user_data) {
  auto* p = of(self);
  if (p == nullptr || method == nullptr || path == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().mgmt.register_route(p, p->info().name, method, path, callback, user_data);
}

ecp_status api_provider_complete(ecp_plugin* self, std::uint64_t token, ecp_status status,
                                 const void* data, std::size_t data_len) {
  auto* p = of(self);
  if (p == nullptr || (data == nullptr && data_len != 0)) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.provider_complete(
      p, token, status, std::string_view(static_cast<const char*>(data), data_len));
}

ecp_status api_cluster_routes(ecp_plugin* self, const char* from_node,
                              const ecp_route_delta* deltas, std::size_t count) {
  auto* p = of(self);
  if (p == nullptr || from_node == nullptr || (deltas == nullptr && count != 0))
    return ECP_ERR_INVALID_ARGUMENT;
  std::vector<std::pair<std::string, bool>> copied;
  copied.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& d = deltas[i];
    if (d.filter == nullptr || (d.op != ECP_ROUTE_ADD && d.op != ECP_ROUTE_DELETE))
      return ECP_ERR_INVALID_ARGUMENT;
    copied.emplace_back(d.filter, d.op == ECP_ROUTE_ADD);
  }
  return p->ctx().services.cluster_routes(p, from_node, std::move(copied));
}

ecp_status api_cluster_deliver(ecp_plugin* self, const char* from_node, const void* batch,
                               std::size_t len) {
  auto* p = of(self);
  if (p == nullptr || from_node == nullptr || (batch == nullptr && len != 0))
    return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.cluster_deliver(p, from_node,
                                           std::string_view(static_cast<const char*>(batch), len));
}

ecp_status api_cluster_peer(ecp_plugin* self, const char* node, int up) {
  auto* p = of(self);
  if (p == nullptr || node == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.cluster_peer(p, node, up != 0);
}

ecp_status api_mgmt_reply(ecp_plugin* self, std::uint64_t request_id, std::int32_t status,
                          const char* content_type, const void* body, std::size_t body_len) {
  auto* p = of(self);
  if (p == nullptr || (body == nullptr && body_len != 0)) return ECP_ERR_INVALID_ARGUMENT;
  mgmt::mgmt_answer a;
  a.status = status;
  a.content_type = content_type == nullptr ? "application/json" : content_type;
  a.body.assign(static_cast<const char*>(body), body_len);
  return p->ctx().mgmt.reply(p, request_id, std::move(a));
}

ecp_status api_kick(ecp_plugin* self, const char* client_id) {
  auto* p = of(self);
  if (p == nullptr || client_id == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.kick(client_id);
}

ecp_status api_subscribe(ecp_plugin* self, const char* client_id, const char* filter,
                         std::uint8_t qos, std::uint8_t no_local, std::uint8_t rap,
                         std::uint8_t rh) {
  auto* p = of(self);
  if (p == nullptr || client_id == nullptr || filter == nullptr || qos > 2 || rh > 2)
    return ECP_ERR_INVALID_ARGUMENT;
  return p->ctx().services.subscribe(client_id, filter, qos, no_local != 0, rap != 0, rh);
}

std::uint64_t api_timer_start(ecp_plugin* self, std::uint64_t delay_ms, std::uint64_t repeat_ms,
                              ecp_on_timer callback, void* arg) {
  auto* p = of(self);
  return p == nullptr ? 0 : p->start_timer(delay_ms, repeat_ms, callback, arg);
}

ecp_status api_timer_cancel(ecp_plugin* self, std::uint64_t id) {
  auto* p = of(self);
  return p == nullptr ? ECP_ERR_INVALID_ARGUMENT : p->cancel_timer(id);
}

ecp_status api_config_string(ecp_plugin* self, const char* path, const char** value,
                             std::size_t* len) {
  auto* p = of(self);
  if (p == nullptr || path == nullptr || value == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  auto v = p->config().get_string(path);
  if (!v) return ECP_ERR_NOT_FOUND;
  *value = v->data();
  if (len != nullptr) *len = v->size();
  return ECP_OK;
}

ecp_status api_config_int(ecp_plugin* self, const char* path, std::int64_t* value) {
  auto* p = of(self);
  if (p == nullptr || path == nullptr || value == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  auto v = p->config().get_int(path);
  if (!v) return ECP_ERR_NOT_FOUND;
  *value = *v;
  return ECP_OK;
}

ecp_status api_config_double(ecp_plugin* self, const char* path, double* value) {
  auto* p = of(self);
  if (p == nullptr || path == nullptr || value == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  auto v = p->config().get_double(path);
  if (!v) return ECP_ERR_NOT_FOUND;
  *value = *v;
  return ECP_OK;
}

ecp_status api_config_bool(ecp_plugin* self, const char* path, int* value) {
  auto* p = of(self);
  if (p == nullptr || path == nullptr || value == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  auto v = p->config().get_bool(path);
  if (!v) return ECP_ERR_NOT_FOUND;
  *value = *v ? 1 : 0;
  return ECP_OK;
}

ecp_status api_config_count(ecp_plugin* self, const char* path, std::size_t* count) {
  auto* p = of(self);
  if (p == nullptr || path == nullptr || count == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  auto v = p->config().count(path);
  if (!v) return ECP_ERR_NOT_FOUND;
  *count = *v;
  return ECP_OK;
}

ecp_status api_complete(ecp_plugin* self, std::uint64_t token, ecp_hook_result result,
                        const ecp_hook_reply* reply) {
  auto* p = of(self);
  if (p == nullptr || (result != ECP_HOOK_CONTINUE && result != ECP_HOOK_STOP))
    return ECP_ERR_INVALID_ARGUMENT;
  // A plugin built for 1.0 passes a shorter reply: only what it has is read.
  ecp_hook_reply r{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
  if (reply != nullptr) {
    r.code = reply->code;
    if (ECP_HAS_MEMBER(ecp_hook_reply, reply, is_superuser)) r.is_superuser = reply->is_superuser;
    if (ECP_HAS_MEMBER(ecp_hook_reply, reply, auth_data_len) && reply->auth_data != nullptr) {
      r.auth_data = reply->auth_data;  // copied by the waiter before this call returns
      r.auth_data_len = reply->auth_data_len;
    }
  }
  return p->ctx().calls.complete(p, token, result, r);
}

thread_local client_snapshot client_info_buffer;

ecp_status api_client_info(ecp_plugin* self, const char* client_id, ecp_client_info* info) {
  auto* p = of(self);
  if (p == nullptr || client_id == nullptr || info == nullptr || info->size < sizeof(std::uint32_t))
    return ECP_ERR_INVALID_ARGUMENT;
  auto snap = p->ctx().services.client_info(client_id);
  if (!snap) return ECP_ERR_NOT_FOUND;
  client_info_buffer = std::move(*snap);
  const std::uint32_t size = std::min<std::uint32_t>(info->size, sizeof(ecp_client_info));
  ecp_client_info full{};
  full.size = size;
  full.client_id = client_info_buffer.client_id.c_str();
  full.username = client_info_buffer.username ? client_info_buffer.username->c_str() : nullptr;
  full.peer = client_info_buffer.peer.c_str();
  full.listener = client_info_buffer.listener.c_str();
  full.protocol_version = client_info_buffer.protocol_version;
  full.is_superuser = client_info_buffer.is_superuser ? 1 : 0;
  full.clean_start = client_info_buffer.clean_start ? 1 : 0;
  full.keepalive = client_info_buffer.keepalive;
  full.listener_type = client_info_buffer.listener_type.c_str();
  std::memcpy(info, &full, size);  // a plugin built for an older minor gets a prefix
  return ECP_OK;
}
}  // namespace

ecp_host_api make_host_api() {
  ecp_host_api api{};
  api.size = sizeof(ecp_host_api);
  api.abi = {ECP_ABI_MAJOR, ECP_ABI_MINOR};
  api.api_log = api_log;
  api.api_counter_add = api_counter_add;
  api.api_gauge_set = api_gauge_set;
  api.api_histogram_observe = api_histogram_observe;
  api.api_register_hook = api_register_hook;
  api.api_unregister_hook = api_unregister_hook;
  api.api_register_provider = api_register_provider;
  api.api_publish = api_publish;
  api.api_kick = api_kick;
  api.api_subscribe = api_subscribe;
  api.api_timer_start = api_timer_start;
  api.api_timer_cancel = api_timer_cancel;
  api.api_config_string = api_config_string;
  api.api_config_int = api_config_int;
  api.api_config_double = api_config_double;
  api.api_config_bool = api_config_bool;
  api.api_config_count = api_config_count;
  api.api_complete = api_complete;
  api.api_client_info = api_client_info;
  api.api_publish_v5 = api_publish_v5;
  api.api_authz_cache_clear = api_authz_cache_clear;
  api.api_metrics_visit = api_metrics_visit;
  api.api_node_name = api_node_name;
  api.api_register_ctl = api_register_ctl;
  api.api_register_route = api_register_route;
  api.api_mgmt_reply = api_mgmt_reply;
  api.api_provider_complete = api_provider_complete;
  api.api_cluster_routes = api_cluster_routes;
  api.api_cluster_deliver = api_cluster_deliver;
  api.api_cluster_peer = api_cluster_peer;
  // Message and event accessors are the broker's (it owns those objects): see
  // broker::install_plugin_message_api.
  return api;
}

}  // namespace emqx_cpp::plugin
