// SPDX-License-Identifier: Apache-2.0
//
// The fifteen MQTT control packets as plain structs, owning their data. The same
// structs serve 3.1, 3.1.1 and 5.0: fields a version lacks stay empty, and the encoder
// leaves them out for that version.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mqtt/properties.hpp"
#include "mqtt/types.hpp"

namespace emqx_cpp::mqtt {

struct will_message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  properties props;  // v5 will properties
};

struct connect_packet {
  protocol_version version = protocol_version::v5;
  std::string protocol_name = "MQTT";  // "MQIsdp" for 3.1
  bool clean_start = true;             // clean session in 3.x
  std::uint16_t keep_alive = 0;        // seconds
  std::string client_id;
  std::optional<will_message> will;
  std::optional<std::string> username;
  std::optional<std::string> password;
  bool bridge = false;  // the 0x80 bit in the 3.x protocol level (Mosquitto bridges)
  properties props;
};

struct connack_packet {
  bool session_present = false;
  reason_code code = reason_code::success;  // v3: mapped with to_v3()
  properties props;
};

struct publish_packet {
  bool dup = false;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string topic;
  std::uint16_t packet_id = 0;  // QoS 1 and 2 only
  std::string payload;
  std::unique_ptr<properties> props;  // null when the packet has none (the common case)
};

// PUBACK, PUBREC, PUBREL, PUBCOMP.
struct ack_packet {
  packet_type type = packet_type::puback;
  std::uint16_t packet_id = 0;
  reason_code code = reason_code::success;
  properties props;
};

struct subscription_options {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;  // 0: send on subscribe, 1: only if new, 2: never
  bool operator==(const subscription_options&) const = default;
};

struct subscribe_entry {
  std::string filter;
  subscription_options options;
};

struct subscribe_packet {
  std::uint16_t packet_id = 0;
  std::vector<subscribe_entry> entries;
  properties props;  // subscription identifier, user properties
};

struct suback_packet {
  std::uint16_t packet_id = 0;
  std::vector<reason_code> codes;  // v3: 0x00-0x02 or 0x80
  properties props;
};

struct unsubscribe_packet {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  properties props;
};

struct unsuback_packet {
  std::uint16_t packet_id = 0;
  std::vector<reason_code> codes;  // v5 only
  properties props;
};

struct pingreq_packet {};
struct pingresp_packet {};

struct disconnect_packet {
  reason_code code = reason_code::success;
  properties props;
};

struct auth_packet {
  reason_code code = reason_code::success;
  properties props;
};

using packet = std::variant<connect_packet, connack_packet, publish_packet, ack_packet,
                            subscribe_packet, suback_packet, unsubscribe_packet, unsuback_packet,
                            pingreq_packet, pingresp_packet, disconnect_packet, auth_packet>;

}  // namespace emqx_cpp::mqtt
