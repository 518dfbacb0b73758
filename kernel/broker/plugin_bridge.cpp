// SPDX-License-Identifier: Apache-2.0
#include "broker/plugin_bridge.hpp"

#include <chrono>
#include <cstring>

#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

void init_event(event_frame& frame, ecp_hook_point hook, std::uint32_t worker) {
  frame.event.size = sizeof(ecp_event);
  frame.event.hook = hook;
  frame.event.worker = worker;
}

void describe_client(const client_info& c, bool clean_start, std::uint16_t keepalive,
                     event_frame& frame) {
  frame.client.size = sizeof(ecp_client_info);
  frame.client.client_id = c.client_id.c_str();
  frame.client.username = c.username ? c.username->c_str() : nullptr;
  frame.client.peer = c.peer.c_str();
  frame.client.listener = c.listener.data();  // a view of a whole string: terminated
  frame.client.protocol_version = static_cast<std::uint8_t>(c.version);
  frame.client.is_superuser = c.is_superuser ? 1 : 0;
  frame.client.clean_start = clean_start ? 1 : 0;
  frame.client.keepalive = keepalive;
  // Only TCP listeners exist yet; TLS fills the certificate fields.
  frame.client.listener_type = "tcp";
  frame.client.peer_cert_subject = nullptr;
  frame.client.peer_cert_cn = nullptr;
  frame.event.client = &frame.client;
}

namespace {
const char* message_topic(const ecp_message* m, std::size_t* len) {
  if (len != nullptr) *len = m->msg->topic.size();
  return m->msg->topic.c_str();
}

const void* message_payload(const ecp_message* m, std::size_t* len) {
  if (len != nullptr) *len = m->msg->payload.size();
  return m->msg->payload.data();
}

std::uint8_t message_qos(const ecp_message* m) {
  return m->msg->qos;
}
std::uint8_t message_retain(const ecp_message* m) {
  return m->msg->retain ? 1 : 0;
}
const char* message_publisher(const ecp_message* m) {
  return m->msg->publisher.c_str();
}

ecp_status message_set_topic(ecp_message* m, const char* topic, std::size_t len) {
  if (!m->writable) return ECP_ERR_WRONG_STATE;
  if (topic == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  const std::string_view t(topic, len);
  if (!mqtt::valid_topic_name(t) || !mqtt::valid_utf8(t)) return ECP_ERR_INVALID_ARGUMENT;
  m->msg->topic.assign(t);
  return ECP_OK;
}

ecp_status message_set_payload(ecp_message* m, const void* payload, std::size_t len) {
  if (!m->writable) return ECP_ERR_WRONG_STATE;
  if (payload == nullptr && len != 0) return ECP_ERR_INVALID_ARGUMENT;
  m->msg->payload.assign(static_cast<const char*>(payload), len);
  return ECP_OK;
}

ecp_status message_set_qos(ecp_message* m, std::uint8_t qos) {
  if (!m->writable) return ECP_ERR_WRONG_STATE;
  if (qos > 2) return ECP_ERR_INVALID_ARGUMENT;
  m->msg->qos = qos;
  return ECP_OK;
}

ecp_status message_set_retain(ecp_message* m, std::uint8_t retain) {
  if (!m->writable) return ECP_ERR_WRONG_STATE;
  m->msg->retain = retain != 0;
  return ECP_OK;
}

ecp_status message_add_user_property(ecp_message* m, const char* key, const char* value) {
  if (!m->writable) return ECP_ERR_WRONG_STATE;
  if (key == nullptr || value == nullptr || !mqtt::valid_utf8(key) || !mqtt::valid_utf8(value))
    return ECP_ERR_INVALID_ARGUMENT;
  auto props = m->msg->props ? std::make_shared<mqtt::properties>(*m->msg->props)
                             : std::make_shared<mqtt::properties>();
  props->user.emplace_back(key, value);
  m->msg->props = std::move(props);
  return ECP_OK;
}

ecp_status event_set_topic(const ecp_event* event, const char* topic) {
  if (event == nullptr || topic == nullptr) return ECP_ERR_INVALID_ARGUMENT;
  if (event->hook != ECP_HOOK_CLIENT_SUBSCRIBE && event->hook != ECP_HOOK_CLIENT_UNSUBSCRIBE)
    return ECP_ERR_WRONG_STATE;
  // The event is the first member of the frame the broker built around it.
  auto* frame = reinterpret_cast<event_frame*>(const_cast<ecp_event*>(event));
  if (!mqtt::valid_utf8(topic)) return ECP_ERR_INVALID_ARGUMENT;
  frame->rewritten = std::string(topic);
  // Later callbacks in the chain see the new filter, as in EMQX's fold.
  frame->event.topic = frame->rewritten->c_str();
  return ECP_OK;
}

}  // namespace

std::optional<mqtt::properties> to_properties(const ecp_publish_properties& in,
                                              steady_clock::time_point& expires_at) {
  if (!ECP_HAS_MEMBER(ecp_publish_properties, &in, user_property_count)) return std::nullopt;
  mqtt::properties p;
  if (in.payload_format_indicator > 1) return std::nullopt;
  if (in.payload_format_indicator == 1) p.payload_format_indicator = 1;
  if (in.message_expiry_interval != 0)
    expires_at = steady_clock::now() + std::chrono::seconds(in.message_expiry_interval);
  if (in.content_type != nullptr) {
    if (!mqtt::valid_utf8(in.content_type)) return std::nullopt;
    p.content_type = in.content_type;
  }
  if (in.response_topic != nullptr) {
    if (!mqtt::valid_topic_name(in.response_topic) || !mqtt::valid_utf8(in.response_topic))
      return std::nullopt;
    p.response_topic = in.response_topic;
  }
  if (in.correlation_data != nullptr)
    p.correlation_data.emplace(static_cast<const char*>(in.correlation_data),
                               in.correlation_data_len);
  if (in.user_property_count != 0 && in.user_properties == nullptr) return std::nullopt;
  for (std::size_t i = 0; i < in.user_property_count; ++i) {
    const auto& up = in.user_properties[i];
    if (up.key == nullptr || up.value == nullptr || !mqtt::valid_utf8(up.key) ||
        !mqtt::valid_utf8(up.value))
      return std::nullopt;
    p.user.emplace_back(up.key, up.value);
  }
  return p;
}

void install_plugin_message_api(ecp_host_api& api) {
  api.api_message_topic = message_topic;
  api.api_message_payload = message_payload;
  api.api_message_qos = message_qos;
  api.api_message_retain = message_retain;
  api.api_message_publisher = message_publisher;
  api.api_message_set_topic = message_set_topic;
  api.api_message_set_payload = message_set_payload;
  api.api_message_set_qos = message_set_qos;
  api.api_message_set_retain = message_set_retain;
  api.api_message_add_user_property = message_add_user_property;
  api.api_event_set_topic = event_set_topic;
}

mqtt::reason_code refusal_code(ecp_status code) {
  return code >= 0x80 && code <= 0xFF ? static_cast<mqtt::reason_code>(code)
                                      : mqtt::reason_code::not_authorized;
}

std::string refused_by(const plugin::chain_result& r) {
  return r.entry != nullptr && r.entry->owner ? r.entry->owner->owner_name() : "an authenticator";
}

}  // namespace emqx_cpp::broker
