// SPDX-License-Identifier: Apache-2.0
//
// MQTT packets as JSON, both ways, in the shape the case files use (contracts/README.md):
// cases describe what to send as JSON and what they expect back as a JSON subset, and
// the runner turns each received frame into the same shape to compare.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mqtt/packets.hpp"

namespace emqx_contracts {

using json = nlohmann::json;

// Throws std::invalid_argument naming the offending field.
emqx_cpp::mqtt::packet packet_from_json(const json& j);

// Every field of `p` (present properties only). 3.x CONNACK codes come back as 3.x
// return codes, the way a case for that version writes them.
json packet_to_json(const emqx_cpp::mqtt::packet& p, emqx_cpp::mqtt::protocol_version v);

// Lower-case hex of `s`, and its inverse (spaces, tabs, newlines and ':' ignored; throws
// std::invalid_argument on anything else).
std::string hex_of(std::string_view s);
std::string bytes_of_hex(std::string_view hex);

// A reason code given as a number or as a "0x.." string.
std::uint8_t reason_from_json(const json& j);

}  // namespace emqx_contracts
