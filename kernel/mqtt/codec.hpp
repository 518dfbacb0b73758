// SPDX-License-Identifier: Apache-2.0
//
// The MQTT codec: find frames in a byte stream, decode one frame into a packet with the
// specification's validation, encode packets. Pure functions with no I/O; the network
// layer feeds it whatever it read, many frames or part of one.
//
// Decode errors carry the MQTT 5 reason code the connection closes with:
// malformed_packet (0x81) for broken structure, protocol_error (0x82) for rules about
// content, packet_too_large (0x95), topic_name_invalid (0x90), payload_format_invalid
// (0x99), unsupported_protocol_version (0x84).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "mqtt/packets.hpp"
#include "mqtt/wire.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::mqtt {

struct fixed_header {
  packet_type type = packet_type::connect;
  std::uint8_t flags = 0;
  std::uint32_t remaining_length = 0;
  std::uint8_t header_size = 0;  // 2..5 bytes
  std::size_t frame_size() const { return header_size + std::size_t{remaining_length}; }
};

enum class frame_status { complete, incomplete, malformed, too_large };

// Is there a whole frame at the start of `in`? On `complete` and `too_large`, `out`
// describes it (so an oversized frame can be skipped or reported).
frame_status read_frame(std::span<const std::uint8_t> in, std::uint32_t max_packet_size,
                        fixed_header& out);

struct decode_options {
  // Check UTF-8 of strings (EMQX's strict_mode).
  bool strict = true;
  // Also check payloads marked UTF-8 (payload format indicator 1) and refuse a bad one
  // with 0x99. The specification lets a receiver choose [MQTT-3.3.2-4]; EMQX forwards
  // them unchecked, and so does the broker (the default here is off).
  bool validate_payload_format = false;
};

// Decodes the frame whose fixed header is `h` and whose variable part is `body`.
// `version` is the connection's version; it is ignored for CONNECT, which names its own.
result<packet> decode(const fixed_header& h, std::span<const std::uint8_t> body,
                      protocol_version version, const decode_options& opts = {});

// The version a CONNECT body asks for, or nullopt if the protocol name/level is unknown.
// Lets the broker answer a refused CONNECT in the client's own format.
std::optional<protocol_version> connect_version(std::span<const std::uint8_t> body);

// Encoders append one whole frame to `out`.
void encode(const packet& p, protocol_version version, bytes& out);
void encode_connect(const connect_packet& p, bytes& out);
void encode_connack(const connack_packet& p, protocol_version version, bytes& out);
void encode_publish(const publish_packet& p, protocol_version version, bytes& out);
void encode_ack(const ack_packet& p, protocol_version version, bytes& out);
void encode_subscribe(const subscribe_packet& p, protocol_version version, bytes& out);
void encode_suback(const suback_packet& p, protocol_version version, bytes& out);
void encode_unsubscribe(const unsubscribe_packet& p, protocol_version version, bytes& out);
void encode_unsuback(const unsuback_packet& p, protocol_version version, bytes& out);
void encode_pingreq(bytes& out);
void encode_pingresp(bytes& out);
void encode_disconnect(const disconnect_packet& p, protocol_version version, bytes& out);
void encode_auth(const auth_packet& p, bytes& out);

// An outgoing PUBLISH assembled from parts, so a shared message is encoded for each
// subscriber without copying it into a publish_packet first. `props` are the
// message's forwarded properties (may be null); the per-delivery properties are
// added to them.
struct publish_view {
  std::string_view topic;  // empty when only the topic alias is sent
  std::string_view payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;
  const properties* props = nullptr;
  std::uint32_t message_expiry = 0;  // 0: none
  std::span<const std::uint32_t> subscription_ids;
  std::uint16_t topic_alias = 0;  // 0: none
};
std::size_t publish_size(const publish_view& p, protocol_version version);
void encode_publish(const publish_view& p, protocol_version version, bytes& out);
// Everything of the PUBLISH up to its payload, which the caller sends after it (a large
// payload leaves from the shared message instead of being copied into `out`).
void encode_publish_header(const publish_view& p, protocol_version version, bytes& out);

// Property blocks (v5): length-prefixed; exposed for the broker's size computations.
void encode_properties(const properties& p, bytes& out);
std::size_t properties_size(const properties& p);

}  // namespace emqx_cpp::mqtt
