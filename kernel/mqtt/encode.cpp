// SPDX-License-Identifier: Apache-2.0
//
// Packet encoders. Each builds the variable header and payload after a reserved fixed
// header slot, then writes the remaining length in front, so a packet is encoded in one
// pass into the connection's output buffer.
#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"

namespace emqx_cpp::mqtt {

namespace {
// Writes the fixed header for a body of `length` bytes.
void put_fixed(bytes& out, packet_type t, std::uint8_t flags, std::size_t length) {
  put_u8(out, static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) | flags));
  put_varint(out, static_cast<std::uint32_t>(length));
}

bool is_v5(protocol_version v) {
  return v == protocol_version::v5;
}
}  // namespace

void encode_connect(const connect_packet& p, bytes& out) {
  bytes body;
  const bool v5 = is_v5(p.version);
  put_binary(body, p.version == protocol_version::v3_1 ? "MQIsdp" : "MQTT");
  put_u8(body,
         static_cast<std::uint8_t>(static_cast<std::uint8_t>(p.version) | (p.bridge ? 0x80 : 0)));
  std::uint8_t flags = 0;
  if (p.clean_start) flags |= 0x02;
  if (p.will) {
    flags |= 0x04;
    flags |= static_cast<std::uint8_t>(p.will->qos << 3);
    if (p.will->retain) flags |= 0x20;
  }
  if (p.password) flags |= 0x40;
  if (p.username) flags |= 0x80;
  put_u8(body, flags);
  put_u16(body, p.keep_alive);
  if (v5) encode_properties(p.props, body);
  put_binary(body, p.client_id);
  if (p.will) {
    if (v5) encode_properties(p.will->props, body);
    put_binary(body, p.will->topic);
    put_binary(body, p.will->payload);
  }
  if (p.username) put_binary(body, *p.username);
  if (p.password) put_binary(body, *p.password);
  put_fixed(out, packet_type::connect, 0, body.size());
  out += body;
}

void encode_connack(const connack_packet& p, protocol_version v, bytes& out) {
  const bool v5 = is_v5(v);
  const std::size_t length = 2 + (v5 ? properties_size(p.props) : 0);
  put_fixed(out, packet_type::connack, 0, length);
  put_u8(out, p.session_present ? 1 : 0);
  put_u8(out, v5 ? static_cast<std::uint8_t>(p.code) : static_cast<std::uint8_t>(to_v3(p.code)));
  if (v5) encode_properties(p.props, out);
}

void encode_publish(const publish_packet& p, protocol_version v, bytes& out) {
  const bool v5 = is_v5(v);
  std::size_t length = 2 + p.topic.size() + (p.qos > 0 ? 2 : 0) + p.payload.size();
  if (v5) length += p.props ? properties_size(*p.props) : 1;
  const auto flags =
      static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
  out.reserve(out.size() + length + 5);
  put_fixed(out, packet_type::publish, flags, length);
  put_binary(out, p.topic);
  if (p.qos > 0) put_u16(out, p.packet_id);
  if (v5) {
    if (p.props) {
      encode_properties(*p.props, out);
    } else {
      put_u8(out, 0);
    }
  }
  out += p.payload;
}

namespace {
std::size_t view_property_body(const publish_view& p) {
  std::size_t n = p.props != nullptr ? property_body_size(*p.props) : 0;
  if (p.message_expiry != 0) n += 5;
  for (auto id : p.subscription_ids)
    n += 1 + varint_size(id);
  if (p.topic_alias != 0) n += 3;
  return n;
}

std::size_t view_remaining_length(const publish_view& p, protocol_version v) {
  std::size_t n = 2 + p.topic.size() + (p.qos > 0 ? 2 : 0) + p.payload.size();
  if (is_v5(v)) {
    const std::size_t body = view_property_body(p);
    n += varint_size(static_cast<std::uint32_t>(body)) + body;
  }
  return n;
}

// Inlined into both encoders: this is the publish path, once per delivered copy.
[[gnu::always_inline]] inline void put_publish_header(const publish_view& p, protocol_version v,
                                                      std::size_t rl, bytes& out) {
  const auto flags =
      static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
  put_fixed(out, packet_type::publish, flags, rl);
  put_binary(out, p.topic);
  if (p.qos > 0) put_u16(out, p.packet_id);
  if (is_v5(v)) {
    put_varint(out, static_cast<std::uint32_t>(view_property_body(p)));
    if (p.props != nullptr) encode_property_body(*p.props, out);
    if (p.message_expiry != 0) {
      put_u8(out, static_cast<std::uint8_t>(property_id::message_expiry_interval));
      put_u32(out, p.message_expiry);
    }
    for (auto id : p.subscription_ids) {
      put_u8(out, static_cast<std::uint8_t>(property_id::subscription_identifier));
      put_varint(out, id);
    }
    if (p.topic_alias != 0) {
      put_u8(out, static_cast<std::uint8_t>(property_id::topic_alias));
      put_u16(out, p.topic_alias);
    }
  }
}
}  // namespace

std::size_t publish_size(const publish_view& p, protocol_version v) {
  const std::size_t rl = view_remaining_length(p, v);
  return 1 + varint_size(static_cast<std::uint32_t>(rl)) + rl;
}

void encode_publish(const publish_view& p, protocol_version v, bytes& out) {
  const std::size_t rl = view_remaining_length(p, v);
  out.reserve(out.size() + rl + 5);
  put_publish_header(p, v, rl, out);
  out += p.payload;
}

void encode_publish_header(const publish_view& p, protocol_version v, bytes& out) {
  const std::size_t rl = view_remaining_length(p, v);
  out.reserve(out.size() + rl - p.payload.size() + 5);
  put_publish_header(p, v, rl, out);
}

void encode_ack(const ack_packet& p, protocol_version v, bytes& out) {
  const std::uint8_t flags = p.type == packet_type::pubrel ? 0x02 : 0;
  const bool props = is_v5(v) && p.props != properties{};
  const bool code = is_v5(v) && (p.code != reason_code::success || props);
  std::size_t length = 2;
  if (code) length += 1;
  if (props) length += properties_size(p.props);
  put_fixed(out, p.type, flags, length);
  put_u16(out, p.packet_id);
  if (code) put_u8(out, static_cast<std::uint8_t>(p.code));
  if (props) encode_properties(p.props, out);
}

void encode_subscribe(const subscribe_packet& p, protocol_version v, bytes& out) {
  bytes body;
  put_u16(body, p.packet_id);
  if (is_v5(v)) encode_properties(p.props, body);
  for (const auto& e : p.entries) {
    put_binary(body, e.filter);
    std::uint8_t o = e.options.qos;
    if (is_v5(v)) {
      if (e.options.no_local) o |= 0x04;
      if (e.options.retain_as_published) o |= 0x08;
      o |= static_cast<std::uint8_t>(e.options.retain_handling << 4);
    }
    put_u8(body, o);
  }
  put_fixed(out, packet_type::subscribe, 0x02, body.size());
  out += body;
}

void encode_suback(const suback_packet& p, protocol_version v, bytes& out) {
  const bool v5 = is_v5(v);
  const std::size_t length = 2 + (v5 ? properties_size(p.props) : 0) + p.codes.size();
  put_fixed(out, packet_type::suback, 0, length);
  put_u16(out, p.packet_id);
  if (v5) encode_properties(p.props, out);
  for (auto c : p.codes) {
    // MQTT 3.x knows only the granted QoS and 0x80 (failure).
    const auto raw = static_cast<std::uint8_t>(c);
    put_u8(out, v5 || raw <= 2 ? raw : 0x80);
  }
}

void encode_unsubscribe(const unsubscribe_packet& p, protocol_version v, bytes& out) {
  bytes body;
  put_u16(body, p.packet_id);
  if (is_v5(v)) encode_properties(p.props, body);
  for (const auto& f : p.filters)
    put_binary(body, f);
  put_fixed(out, packet_type::unsubscribe, 0x02, body.size());
  out += body;
}

void encode_unsuback(const unsuback_packet& p, protocol_version v, bytes& out) {
  const bool v5 = is_v5(v);
  const std::size_t length = 2 + (v5 ? properties_size(p.props) + p.codes.size() : 0);
  put_fixed(out, packet_type::unsuback, 0, length);
  put_u16(out, p.packet_id);
  if (!v5) return;
  encode_properties(p.props, out);
  for (auto c : p.codes)
    put_u8(out, static_cast<std::uint8_t>(c));
}

void encode_pingreq(bytes& out) {
  put_fixed(out, packet_type::pingreq, 0, 0);
}
void encode_pingresp(bytes& out) {
  put_fixed(out, packet_type::pingresp, 0, 0);
}

void encode_disconnect(const disconnect_packet& p, protocol_version v, bytes& out) {
  if (!is_v5(v)) {
    put_fixed(out, packet_type::disconnect, 0, 0);
    return;
  }
  const bool props = p.props != properties{};
  if (p.code == reason_code::success && !props) {
    put_fixed(out, packet_type::disconnect, 0, 0);
    return;
  }
  put_fixed(out, packet_type::disconnect, 0, 1 + properties_size(p.props));
  put_u8(out, static_cast<std::uint8_t>(p.code));
  encode_properties(p.props, out);
}

void encode_auth(const auth_packet& p, bytes& out) {
  put_fixed(out, packet_type::auth, 0, 1 + properties_size(p.props));
  put_u8(out, static_cast<std::uint8_t>(p.code));
  encode_properties(p.props, out);
}

void encode(const packet& p, protocol_version v, bytes& out) {
  std::visit(
      [&](const auto& pkt) {
        using T = std::decay_t<decltype(pkt)>;
        if constexpr (std::is_same_v<T, connect_packet>) {
          encode_connect(pkt, out);
        } else if constexpr (std::is_same_v<T, connack_packet>) {
          encode_connack(pkt, v, out);
        } else if constexpr (std::is_same_v<T, publish_packet>) {
          encode_publish(pkt, v, out);
        } else if constexpr (std::is_same_v<T, ack_packet>) {
          encode_ack(pkt, v, out);
        } else if constexpr (std::is_same_v<T, subscribe_packet>) {
          encode_subscribe(pkt, v, out);
        } else if constexpr (std::is_same_v<T, suback_packet>) {
          encode_suback(pkt, v, out);
        } else if constexpr (std::is_same_v<T, unsubscribe_packet>) {
          encode_unsubscribe(pkt, v, out);
        } else if constexpr (std::is_same_v<T, unsuback_packet>) {
          encode_unsuback(pkt, v, out);
        } else if constexpr (std::is_same_v<T, pingreq_packet>) {
          encode_pingreq(out);
        } else if constexpr (std::is_same_v<T, pingresp_packet>) {
          encode_pingresp(out);
        } else if constexpr (std::is_same_v<T, disconnect_packet>) {
          encode_disconnect(pkt, v, out);
        } else {
          encode_auth(pkt, out);
        }
      },
      p);
}

}  // namespace emqx_cpp::mqtt
