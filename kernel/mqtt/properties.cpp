// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"

namespace emqx_cpp::mqtt {

namespace {
using ctx = property_context;

constexpr unsigned bit(ctx c) {
  return 1U << static_cast<unsigned>(c);
}

// Table 2-4 of the specification: which packets may carry each property.
unsigned allowed_mask(property_id id) {
  switch (id) {
    case property_id::payload_format_indicator:
    case property_id::message_expiry_interval:
    case property_id::content_type:
    case property_id::response_topic:
    case property_id::correlation_data:
      return bit(ctx::publish) | bit(ctx::will);
    case property_id::subscription_identifier:
      return bit(ctx::publish) | bit(ctx::subscribe);
    case property_id::session_expiry_interval:
      return bit(ctx::connect) | bit(ctx::connack) | bit(ctx::disconnect);
    case property_id::assigned_client_identifier:
    case property_id::server_keep_alive:
    case property_id::response_information:
    case property_id::maximum_qos:
    case property_id::retain_available:
    case property_id::wildcard_subscription_available:
    case property_id::subscription_identifier_available:
    case property_id::shared_subscription_available:
      return bit(ctx::connack);
    case property_id::authentication_method:
    case property_id::authentication_data:
      return bit(ctx::connect) | bit(ctx::connack) | bit(ctx::auth);
    case property_id::request_problem_information:
    case property_id::request_response_information:
      return bit(ctx::connect);
    case property_id::will_delay_interval:
      return bit(ctx::will);
    case property_id::server_reference:
      return bit(ctx::connack) | bit(ctx::disconnect);
    case property_id::reason_string:
      return bit(ctx::connack) | bit(ctx::puback) | bit(ctx::suback) | bit(ctx::unsuback) |
             bit(ctx::disconnect) | bit(ctx::auth);
    case property_id::receive_maximum:
    case property_id::topic_alias_maximum:
    case property_id::maximum_packet_size:
      return bit(ctx::connect) | bit(ctx::connack);
    case property_id::topic_alias:
      return bit(ctx::publish);
    case property_id::user_property:
      return ~0U;
  }
  return 0;
}

error protocol(std::string what) {
  return make_error(std::move(what), static_cast<int>(reason_code::protocol_error));
}
error malformed(std::string what) {
  return make_error(std::move(what), static_cast<int>(reason_code::malformed_packet));
}

template <class T>
result<void> set_once(std::optional<T>& slot, T value, property_id id) {
  if (slot) return protocol(fmt::format("property 0x{:02X} included twice", static_cast<int>(id)));
  slot = std::move(value);
  return {};
}

result<void> read_string(wire_reader& r, bool strict, std::string& out) {
  std::string_view v;
  if (!r.binary(v)) return malformed("property string truncated");
  if (strict && !valid_utf8(v)) return malformed("property string is not valid UTF-8");
  out.assign(v);
  return {};
}

result<void> bool_byte(std::uint8_t v, property_id id) {
  if (v > 1) return protocol(fmt::format("property 0x{:02X} must be 0 or 1", static_cast<int>(id)));
  return {};
}
}  // namespace

bool property_allowed(property_id id, property_context where) {
  return (allowed_mask(id) & bit(where)) != 0;
}

result<void> decode_properties(wire_reader& r, property_context where, bool strict,
                               properties& out) {
  std::uint32_t length = 0;
  if (!r.varint(length)) return malformed("property length truncated or malformed");
  std::string_view block;
  if (!r.take(length, block)) return malformed("property block longer than the packet");
  wire_reader p(std::span(reinterpret_cast<const std::uint8_t*>(block.data()), block.size()));
  while (p.remaining() > 0) {
    std::uint32_t raw_id = 0;
    if (!p.varint(raw_id)) return malformed("property identifier malformed");
    const auto id = static_cast<property_id>(raw_id);
    if (raw_id > 0x2A || allowed_mask(id) == 0)
      return malformed(fmt::format("unknown property 0x{:02X}", raw_id));
    if (!property_allowed(id, where))
      return protocol(fmt::format("property 0x{:02X} is not allowed in this packet", raw_id));
    std::uint8_t b = 0;
    std::uint16_t s = 0;
    std::uint32_t w = 0;
    std::string str;
    result<void> st;
    switch (id) {
      case property_id::payload_format_indicator:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.payload_format_indicator, b, id);
        break;
      case property_id::request_problem_information:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.request_problem_information, b, id);
        break;
      case property_id::request_response_information:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.request_response_information, b, id);
        break;
      case property_id::maximum_qos:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.maximum_qos, b, id);
        break;
      case property_id::retain_available:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.retain_available, b, id);
        break;
      case property_id::wildcard_subscription_available:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.wildcard_subscription_available, b, id);
        break;
      case property_id::subscription_identifier_available:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.subscription_identifier_available, b, id);
        break;
      case property_id::shared_subscription_available:
        if (!p.u8(b)) return malformed("property truncated");
        if (st = bool_byte(b, id); !st) return st;
        st = set_once(out.shared_subscription_available, b, id);
        break;
      case property_id::server_keep_alive:
        if (!p.u16(s)) return malformed("property truncated");
        st = set_once(out.server_keep_alive, s, id);
        break;
      case property_id::receive_maximum:
        if (!p.u16(s)) return malformed("property truncated");
        if (s == 0) return protocol("receive maximum of 0");
        st = set_once(out.receive_maximum, s, id);
        break;
      case property_id::topic_alias_maximum:
        if (!p.u16(s)) return malformed("property truncated");
        st = set_once(out.topic_alias_maximum, s, id);
        break;
      case property_id::topic_alias:
        if (!p.u16(s)) return malformed("property truncated");
        st = set_once(out.topic_alias, s, id);
        break;
      case property_id::message_expiry_interval:
        if (!p.u32(w)) return malformed("property truncated");
        st = set_once(out.message_expiry_interval, w, id);
        break;
      case property_id::session_expiry_interval:
        if (!p.u32(w)) return malformed("property truncated");
        st = set_once(out.session_expiry_interval, w, id);
        break;
      case property_id::will_delay_interval:
        if (!p.u32(w)) return malformed("property truncated");
        st = set_once(out.will_delay_interval, w, id);
        break;
      case property_id::maximum_packet_size:
        if (!p.u32(w)) return malformed("property truncated");
        if (w == 0) return protocol("maximum packet size of 0");
        st = set_once(out.maximum_packet_size, w, id);
        break;
      case property_id::subscription_identifier:
        if (!p.varint(w)) return malformed("subscription identifier malformed");
        if (w == 0) return protocol("subscription identifier of 0");
        if (where == property_context::subscribe && !out.subscription_identifiers.empty())
          return protocol("subscription identifier included twice");
        out.subscription_identifiers.push_back(w);
        break;
      case property_id::content_type:
      case property_id::response_topic:
      case property_id::assigned_client_identifier:
      case property_id::authentication_method:
      case property_id::response_information:
      case property_id::server_reference:
      case property_id::reason_string: {
        if (st = read_string(p, strict, str); !st) return st;
        std::optional<std::string>* slot = nullptr;
        switch (id) {
          case property_id::content_type:
            slot = &out.content_type;
            break;
          case property_id::response_topic:
            slot = &out.response_topic;
            break;
          case property_id::assigned_client_identifier:
            slot = &out.assigned_client_identifier;
            break;
          case property_id::authentication_method:
            slot = &out.authentication_method;
            break;
          case property_id::response_information:
            slot = &out.response_information;
            break;
          case property_id::server_reference:
            slot = &out.server_reference;
            break;
          default:
            slot = &out.reason_string;
            break;
        }
        st = set_once(*slot, std::move(str), id);
        break;
      }
      case property_id::correlation_data:
      case property_id::authentication_data: {
        std::string_view v;
        if (!p.binary(v)) return malformed("property truncated");
        auto& slot =
            id == property_id::correlation_data ? out.correlation_data : out.authentication_data;
        st = set_once(slot, std::string(v), id);
        break;
      }
      case property_id::user_property: {
        std::string key;
        std::string value;
        if (st = read_string(p, strict, key); !st) return st;
        if (st = read_string(p, strict, value); !st) return st;
        out.user.emplace_back(std::move(key), std::move(value));
        break;
      }
    }
    if (!st) return st;
  }
  return {};
}

namespace {
void put_string_prop(bytes& out, property_id id, const std::optional<std::string>& v) {
  if (!v) return;
  put_u8(out, static_cast<std::uint8_t>(id));
  put_binary(out, *v);
}
void put_byte_prop(bytes& out, property_id id, const std::optional<std::uint8_t>& v) {
  if (!v) return;
  put_u8(out, static_cast<std::uint8_t>(id));
  put_u8(out, *v);
}
void put_u16_prop(bytes& out, property_id id, const std::optional<std::uint16_t>& v) {
  if (!v) return;
  put_u8(out, static_cast<std::uint8_t>(id));
  put_u16(out, *v);
}
void put_u32_prop(bytes& out, property_id id, const std::optional<std::uint32_t>& v) {
  if (!v) return;
  put_u8(out, static_cast<std::uint8_t>(id));
  put_u32(out, *v);
}

}  // namespace

void encode_property_body(const properties& p, bytes& out) {
  put_byte_prop(out, property_id::payload_format_indicator, p.payload_format_indicator);
  put_u32_prop(out, property_id::message_expiry_interval, p.message_expiry_interval);
  put_string_prop(out, property_id::content_type, p.content_type);
  put_string_prop(out, property_id::response_topic, p.response_topic);
  put_string_prop(out, property_id::correlation_data, p.correlation_data);
  for (auto id : p.subscription_identifiers) {
    put_u8(out, static_cast<std::uint8_t>(property_id::subscription_identifier));
    put_varint(out, id);
  }
  put_u32_prop(out, property_id::session_expiry_interval, p.session_expiry_interval);
  put_string_prop(out, property_id::assigned_client_identifier, p.assigned_client_identifier);
  put_u16_prop(out, property_id::server_keep_alive, p.server_keep_alive);
  put_string_prop(out, property_id::authentication_method, p.authentication_method);
  put_string_prop(out, property_id::authentication_data, p.authentication_data);
  put_byte_prop(out, property_id::request_problem_information, p.request_problem_information);
  put_u32_prop(out, property_id::will_delay_interval, p.will_delay_interval);
  put_byte_prop(out, property_id::request_response_information, p.request_response_information);
  put_string_prop(out, property_id::response_information, p.response_information);
  put_string_prop(out, property_id::server_reference, p.server_reference);
  put_string_prop(out, property_id::reason_string, p.reason_string);
  put_u16_prop(out, property_id::receive_maximum, p.receive_maximum);
  put_u16_prop(out, property_id::topic_alias_maximum, p.topic_alias_maximum);
  put_u16_prop(out, property_id::topic_alias, p.topic_alias);
  put_byte_prop(out, property_id::maximum_qos, p.maximum_qos);
  put_byte_prop(out, property_id::retain_available, p.retain_available);
  for (const auto& [k, v] : p.user) {
    put_u8(out, static_cast<std::uint8_t>(property_id::user_property));
    put_binary(out, k);
    put_binary(out, v);
  }
  put_u32_prop(out, property_id::maximum_packet_size, p.maximum_packet_size);
  put_byte_prop(out, property_id::wildcard_subscription_available,
                p.wildcard_subscription_available);
  put_byte_prop(out, property_id::subscription_identifier_available,
                p.subscription_identifier_available);
  put_byte_prop(out, property_id::shared_subscription_available, p.shared_subscription_available);
}

std::size_t property_body_size(const properties& p) {
  std::size_t n = 0;
  auto str = [&](const std::optional<std::string>& v) {
    if (v) n += 3 + v->size();
  };
  auto b = [&](const auto& v, std::size_t size) {
    if (v) n += 1 + size;
  };
  b(p.payload_format_indicator, 1);
  b(p.message_expiry_interval, 4);
  str(p.content_type);
  str(p.response_topic);
  str(p.correlation_data);
  for (auto id : p.subscription_identifiers)
    n += 1 + varint_size(id);
  b(p.session_expiry_interval, 4);
  str(p.assigned_client_identifier);
  b(p.server_keep_alive, 2);
  str(p.authentication_method);
  str(p.authentication_data);
  b(p.request_problem_information, 1);
  b(p.will_delay_interval, 4);
  b(p.request_response_information, 1);
  str(p.response_information);
  str(p.server_reference);
  str(p.reason_string);
  b(p.receive_maximum, 2);
  b(p.topic_alias_maximum, 2);
  b(p.topic_alias, 2);
  b(p.maximum_qos, 1);
  b(p.retain_available, 1);
  for (const auto& [k, v] : p.user)
    n += 5 + k.size() + v.size();
  b(p.maximum_packet_size, 4);
  b(p.wildcard_subscription_available, 1);
  b(p.subscription_identifier_available, 1);
  b(p.shared_subscription_available, 1);
  return n;
}

std::size_t properties_size(const properties& p) {
  const std::size_t body = property_body_size(p);
  return varint_size(static_cast<std::uint32_t>(body)) + body;
}

void encode_properties(const properties& p, bytes& out) {
  put_varint(out, static_cast<std::uint32_t>(property_body_size(p)));
  encode_property_body(p, out);
}

}  // namespace emqx_cpp::mqtt
