// SPDX-License-Identifier: Apache-2.0
//
// Frame detection and packet decoding with the specification's checks. Each check
// names the normative statement it enforces, so a log line or a contract case can be
// traced back to the rule.
#include <fmt/format.h>

#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"

namespace emqx_cpp::mqtt {

namespace {
error fail(reason_code rc, std::string what) {
  return make_error(std::move(what), static_cast<int>(rc));
}
error malformed(std::string what) {
  return fail(reason_code::malformed_packet, std::move(what));
}
error protocol(std::string what) {
  return fail(reason_code::protocol_error, std::move(what));
}

result<std::string> utf8_string(wire_reader& r, bool strict, const char* field) {
  std::string_view v;
  if (!r.binary(v)) return malformed(fmt::format("{} truncated", field));
  if (strict && !valid_utf8(v))
    return malformed(fmt::format("{} is not valid UTF-8 [MQTT-1.5.4-1]", field));
  return std::string(v);
}

result<void> no_trailing(const wire_reader& r, packet_type t) {
  if (r.remaining() != 0)
    return malformed(fmt::format("{} has {} bytes past its end", to_string(t), r.remaining()));
  return {};
}

// Fixed-header flag rules of section 2.1.3: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry
// 0b0010 [MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1]; PUBLISH has its own; all
// other packets carry zero.
result<void> check_flags(const fixed_header& h) {
  switch (h.type) {
    case packet_type::publish:
      if (((h.flags >> 1) & 3) == 3) return malformed("PUBLISH with QoS 3 [MQTT-3.3.1-4]");
      if ((h.flags & 0x08) != 0 && ((h.flags >> 1) & 3) == 0)
        return malformed("PUBLISH with DUP set at QoS 0 [MQTT-3.3.1-2]");
      return {};
    case packet_type::pubrel:
    case packet_type::subscribe:
    case packet_type::unsubscribe:
      if (h.flags != 0x02)
        return malformed(fmt::format("{} with reserved flags {:#x}", to_string(h.type), h.flags));
      return {};
    default:
      if (h.flags != 0)
        return malformed(fmt::format("{} with reserved flags {:#x}", to_string(h.type), h.flags));
      return {};
  }
}

result<packet> decode_connect(wire_reader& r, const decode_options& opts) {
  connect_packet c;
  auto name = utf8_string(r, opts.strict, "protocol name");
  if (!name) return name.err();
  std::uint8_t level = 0;
  if (!r.u8(level)) return malformed("CONNECT truncated at the protocol level");
  c.protocol_name = name.value();
  c.bridge = (level & 0x80) != 0;
  level &= 0x7F;
  if (c.protocol_name == "MQTT" && (level == 4 || level == 5)) {
    c.version = static_cast<protocol_version>(level);
  } else if (c.protocol_name == "MQIsdp" && level == 3) {
    c.version = protocol_version::v3_1;
  } else {
    return fail(
        reason_code::unsupported_protocol_version,
        fmt::format("unsupported protocol {} level {} [MQTT-3.1.2-2]", c.protocol_name, level));
  }
  const bool v5 = c.version == protocol_version::v5;
  std::uint8_t flags = 0;
  if (!r.u8(flags) || !r.u16(c.keep_alive)) return malformed("CONNECT header truncated");
  if ((flags & 0x01) != 0) return malformed("CONNECT reserved flag set [MQTT-3.1.2-3]");
  c.clean_start = (flags & 0x02) != 0;
  const bool will = (flags & 0x04) != 0;
  const std::uint8_t will_qos = (flags >> 3) & 3;
  const bool will_retain = (flags & 0x20) != 0;
  const bool has_password = (flags & 0x40) != 0;
  const bool has_username = (flags & 0x80) != 0;
  if (will_qos == 3) return malformed("will QoS 3 [MQTT-3.1.2-12]");
  if (!will && (will_qos != 0 || will_retain))
    return malformed("will QoS or retain set without a will [MQTT-3.1.2-11] [MQTT-3.1.2-13]");
  if (!v5 && has_password && !has_username)
    return malformed("password without user name [MQTT-3.1.2-22]");
  if (v5) {
    if (auto st = decode_properties(r, property_context::connect, opts.strict, c.props); !st)
      return st.err();
    if (c.props.authentication_data && !c.props.authentication_method)
      return protocol("authentication data without a method [MQTT-3.1.2-29]");
  }
  auto id = utf8_string(r, opts.strict, "client identifier");
  if (!id) return id.err();
  c.client_id = std::move(id.value());
  if (will) {
    will_message w;
    w.qos = will_qos;
    w.retain = will_retain;
    if (v5) {
      if (auto st = decode_properties(r, property_context::will, opts.strict, w.props); !st)
        return st.err();
    }
    auto topic = utf8_string(r, opts.strict, "will topic");
    if (!topic) return topic.err();
    w.topic = std::move(topic.value());
    if (w.topic.empty() || w.topic.find_first_of("+#") != std::string::npos)
      return fail(reason_code::topic_name_invalid, "invalid will topic [MQTT-3.1.3-11]");
    std::string_view payload;
    if (!r.binary(payload)) return malformed("will payload truncated");
    w.payload.assign(payload);
    if (opts.validate_payload_format && w.props.payload_format_indicator.value_or(0) == 1 &&
        !valid_utf8(payload))
      return fail(reason_code::payload_format_invalid, "will payload is not UTF-8");
    c.will = std::move(w);
  }
  if (has_username) {
    auto user = utf8_string(r, opts.strict, "user name");
    if (!user) return user.err();
    c.username = std::move(user.value());
  }
  if (has_password) {
    std::string_view pw;
    if (!r.binary(pw)) return malformed("password truncated");
    c.password = std::string(pw);
  }
  if (auto st = no_trailing(r, packet_type::connect); !st) return st.err();
  return packet(std::move(c));
}

result<packet> decode_connack(wire_reader& r, protocol_version v, const decode_options& opts) {
  connack_packet c;
  std::uint8_t ack_flags = 0;
  std::uint8_t code = 0;
  if (!r.u8(ack_flags) || !r.u8(code)) return malformed("CONNACK truncated");
  if ((ack_flags & 0xFE) != 0) return malformed("CONNACK reserved flags set [MQTT-3.2.2-1]");
  c.session_present = (ack_flags & 1) != 0;
  c.code = static_cast<reason_code>(code);
  if (v == protocol_version::v5) {
    if (auto st = decode_properties(r, property_context::connack, opts.strict, c.props); !st)
      return st.err();
  } else if (code > 5) {
    return malformed("CONNACK return code above 5");
  } else {
    // The struct holds 5.0 reason codes: map the 3.x return code back (inverse of to_v3).
    static constexpr reason_code from_v3[] = {
        reason_code::success,
        reason_code::unsupported_protocol_version,
        reason_code::client_identifier_not_valid,
        reason_code::server_unavailable,
        reason_code::bad_user_name_or_password,
        reason_code::not_authorized,
    };
    c.code = from_v3[code];
  }
  if (auto st = no_trailing(r, packet_type::connack); !st) return st.err();
  return packet(std::move(c));
}

result<packet> decode_publish(const fixed_header& h, wire_reader& r, protocol_version v,
                              const decode_options& opts) {
  publish_packet p;
  p.dup = (h.flags & 0x08) != 0;
  p.qos = (h.flags >> 1) & 3;
  p.retain = (h.flags & 0x01) != 0;
  std::string_view topic;
  if (!r.binary(topic)) return malformed("PUBLISH topic truncated");
  // Strict mode also refuses control characters in topic names, as EMQX's does.
  if (opts.strict && !valid_utf8(topic, false))
    return malformed(
        "PUBLISH topic is not valid UTF-8 or holds a control character [MQTT-1.5.4-1]");
  if (topic.find_first_of("+#") != std::string_view::npos)
    return fail(reason_code::topic_name_invalid, "wildcard in a PUBLISH topic [MQTT-3.3.2-2]");
  p.topic.assign(topic);
  if (p.qos > 0) {
    if (!r.u16(p.packet_id)) return malformed("PUBLISH packet identifier truncated");
    if (p.packet_id == 0) return malformed("PUBLISH with packet identifier 0 [MQTT-2.2.1-3]");
  }
  if (v == protocol_version::v5) {
    // Peek at the property length so the common empty block allocates nothing.
    std::string_view rest = r.rest();
    if (rest.empty()) return malformed("PUBLISH property length missing");
    if (rest[0] == 0) {
      std::uint32_t zero = 0;
      r.varint(zero);
    } else {
      auto props = std::make_unique<properties>();
      if (auto st = decode_properties(r, property_context::publish, opts.strict, *props); !st)
        return st.err();
      p.props = std::move(props);
    }
  }
  if (p.topic.empty() && (!p.props || !p.props->topic_alias))
    return protocol("empty PUBLISH topic without a topic alias [MQTT-3.3.2-1]");
  if (p.props && p.props->response_topic &&
      (p.props->response_topic->empty() ||
       p.props->response_topic->find_first_of("+#") != std::string::npos))
    return protocol("response topic is not a topic name [MQTT-3.3.2-14]");
  const std::string_view payload = r.rest();
  if (opts.validate_payload_format && p.props &&
      p.props->payload_format_indicator.value_or(0) == 1 && !valid_utf8(payload))
    return fail(reason_code::payload_format_invalid,
                "payload marked UTF-8 is not valid UTF-8 [MQTT-3.3.2-4]");
  p.payload.assign(payload);
  return packet(std::move(p));
}

result<packet> decode_ack(const fixed_header& h, wire_reader& r, protocol_version v,
                          const decode_options& opts) {
  ack_packet a;
  a.type = h.type;
  if (!r.u16(a.packet_id)) return malformed(fmt::format("{} truncated", to_string(h.type)));
  if (a.packet_id == 0)
    return malformed(fmt::format("{} with packet identifier 0 [MQTT-2.2.1-3]", to_string(h.type)));
  if (v == protocol_version::v5 && r.remaining() > 0) {
    std::uint8_t code = 0;
    r.u8(code);
    a.code = static_cast<reason_code>(code);
    if (r.remaining() > 0) {
      if (auto st = decode_properties(r, property_context::puback, opts.strict, a.props); !st)
        return st.err();
    }
  }
  if (auto st = no_trailing(r, h.type); !st) return st.err();
  return packet(std::move(a));
}

result<packet> decode_subscribe(wire_reader& r, protocol_version v, const decode_options& opts) {
  subscribe_packet s;
  if (!r.u16(s.packet_id)) return malformed("SUBSCRIBE truncated");
  if (s.packet_id == 0) return malformed("SUBSCRIBE with packet identifier 0 [MQTT-2.2.1-3]");
  if (v == protocol_version::v5) {
    if (auto st = decode_properties(r, property_context::subscribe, opts.strict, s.props); !st)
      return st.err();
  }
  while (r.remaining() > 0) {
    auto filter = utf8_string(r, opts.strict, "topic filter");
    if (!filter) return filter.err();
    std::uint8_t o = 0;
    if (!r.u8(o)) return malformed("SUBSCRIBE options byte missing");
    subscribe_entry e;
    e.filter = std::move(filter.value());
    e.options.qos = o & 3;
    if (e.options.qos == 3) return malformed("subscription QoS 3 [MQTT-3.8.3-4]");
    if (v == protocol_version::v5) {
      if ((o & 0xC0) != 0)
        return malformed("subscription options reserved bits set [MQTT-3.8.3-5]");
      e.options.no_local = (o & 0x04) != 0;
      e.options.retain_as_published = (o & 0x08) != 0;
      e.options.retain_handling = (o >> 4) & 3;
      if (e.options.retain_handling == 3) return protocol("retain handling 3 [MQTT-3.8.3-5]");
    } else if ((o & 0xFC) != 0) {
      return malformed("subscription options reserved bits set [MQTT-3.8.3-4]");
    }
    s.entries.push_back(std::move(e));
  }
  if (s.entries.empty()) return protocol("SUBSCRIBE without a topic filter [MQTT-3.8.3-2]");
  return packet(std::move(s));
}

result<packet> decode_suback(wire_reader& r, protocol_version v, const decode_options& opts) {
  suback_packet s;
  if (!r.u16(s.packet_id)) return malformed("SUBACK truncated");
  if (v == protocol_version::v5) {
    if (auto st = decode_properties(r, property_context::suback, opts.strict, s.props); !st)
      return st.err();
  }
  std::uint8_t code = 0;
  while (r.u8(code))
    s.codes.push_back(static_cast<reason_code>(code));
  return packet(std::move(s));
}

result<packet> decode_unsubscribe(wire_reader& r, protocol_version v, const decode_options& opts) {
  unsubscribe_packet u;
  if (!r.u16(u.packet_id)) return malformed("UNSUBSCRIBE truncated");
  if (u.packet_id == 0) return malformed("UNSUBSCRIBE with packet identifier 0 [MQTT-2.2.1-3]");
  if (v == protocol_version::v5) {
    if (auto st = decode_properties(r, property_context::unsubscribe, opts.strict, u.props); !st)
      return st.err();
  }
  while (r.remaining() > 0) {
    auto filter = utf8_string(r, opts.strict, "topic filter");
    if (!filter) return filter.err();
    u.filters.push_back(std::move(filter.value()));
  }
  if (u.filters.empty()) return protocol("UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]");
  return packet(std::move(u));
}

result<packet> decode_unsuback(wire_reader& r, protocol_version v, const decode_options& opts) {
  unsuback_packet u;
  if (!r.u16(u.packet_id)) return malformed("UNSUBACK truncated");
  if (v == protocol_version::v5) {
    if (auto st = decode_properties(r, property_context::unsuback, opts.strict, u.props); !st)
      return st.err();
    std::uint8_t code = 0;
    while (r.u8(code))
      u.codes.push_back(static_cast<reason_code>(code));
  }
  if (auto st = no_trailing(r, packet_type::unsuback); !st) return st.err();
  return packet(std::move(u));
}

result<packet> decode_disconnect(wire_reader& r, protocol_version v, const decode_options& opts) {
  disconnect_packet d;
  if (v == protocol_version::v5 && r.remaining() > 0) {
    std::uint8_t code = 0;
    r.u8(code);
    d.code = static_cast<reason_code>(code);
    if (r.remaining() > 0) {
      if (auto st = decode_properties(r, property_context::disconnect, opts.strict, d.props); !st)
        return st.err();
    }
  }
  if (auto st = no_trailing(r, packet_type::disconnect); !st) return st.err();
  return packet(std::move(d));
}

result<packet> decode_auth(wire_reader& r, protocol_version v, const decode_options& opts) {
  if (v != protocol_version::v5) return malformed("AUTH is an MQTT 5 packet");
  auth_packet a;
  if (r.remaining() > 0) {
    std::uint8_t code = 0;
    r.u8(code);
    a.code = static_cast<reason_code>(code);
    if (r.remaining() > 0) {
      if (auto st = decode_properties(r, property_context::auth, opts.strict, a.props); !st)
        return st.err();
    }
  }
  if (auto st = no_trailing(r, packet_type::auth); !st) return st.err();
  return packet(std::move(a));
}
}  // namespace

frame_status read_frame(std::span<const std::uint8_t> in, std::uint32_t max_packet_size,
                        fixed_header& out) {
  if (in.size() < 2) return frame_status::incomplete;
  const std::uint8_t first = in[0];
  const std::uint8_t type = first >> 4;
  if (type == 0) return frame_status::malformed;  // reserved packet type
  std::uint32_t length = 0;
  std::size_t i = 1;
  for (int shift = 0;; shift += 7, ++i) {
    if (i > 4) return frame_status::malformed;  // more than 4 length bytes [MQTT-1.5.5-1]
    if (i >= in.size()) return frame_status::incomplete;
    length |= static_cast<std::uint32_t>(in[i] & 0x7F) << shift;
    if ((in[i] & 0x80) == 0) break;
  }
  out.type = static_cast<packet_type>(type);
  out.flags = first & 0x0F;
  out.remaining_length = length;
  out.header_size = static_cast<std::uint8_t>(i + 1);
  if (max_packet_size != 0 && out.frame_size() > max_packet_size) return frame_status::too_large;
  if (in.size() < out.frame_size()) return frame_status::incomplete;
  return frame_status::complete;
}

result<packet> decode(const fixed_header& h, std::span<const std::uint8_t> body,
                      protocol_version version, const decode_options& opts) {
  if (auto st = check_flags(h); !st) return st.err();
  wire_reader r(body);
  switch (h.type) {
    case packet_type::connect:
      return decode_connect(r, opts);
    case packet_type::connack:
      return decode_connack(r, version, opts);
    case packet_type::publish:
      return decode_publish(h, r, version, opts);
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
      return decode_ack(h, r, version, opts);
    case packet_type::subscribe:
      return decode_subscribe(r, version, opts);
    case packet_type::suback:
      return decode_suback(r, version, opts);
    case packet_type::unsubscribe:
      return decode_unsubscribe(r, version, opts);
    case packet_type::unsuback:
      return decode_unsuback(r, version, opts);
    case packet_type::pingreq:
    case packet_type::pingresp:
      if (!body.empty()) return malformed(fmt::format("{} with a body", to_string(h.type)));
      if (h.type == packet_type::pingreq) return packet(pingreq_packet{});
      return packet(pingresp_packet{});
    case packet_type::disconnect:
      return decode_disconnect(r, version, opts);
    case packet_type::auth:
      return decode_auth(r, version, opts);
  }
  return malformed("reserved packet type");
}

std::optional<protocol_version> connect_version(std::span<const std::uint8_t> body) {
  wire_reader r(body);
  std::string_view name;
  std::uint8_t level = 0;
  if (!r.binary(name) || !r.u8(level)) return std::nullopt;
  level &= 0x7F;
  if (name == "MQTT" && (level == 4 || level == 5)) return static_cast<protocol_version>(level);
  if (name == "MQIsdp" && level == 3) return protocol_version::v3_1;
  if (level == 5) return protocol_version::v5;
  return std::nullopt;
}

}  // namespace emqx_cpp::mqtt
