// SPDX-License-Identifier: Apache-2.0
//
// A published message inside the broker: immutable once created and shared by
// reference, so fanning it out to many subscribers copies nothing but a pointer.
// Per-delivery details (QoS granted, packet id, retain-as-published, subscription
// identifiers, topic alias) live beside it in the session, never in it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mqtt/properties.hpp"

namespace emqx_cpp::broker {

using steady_clock = std::chrono::steady_clock;

// A message's id, unique across a cluster and over time, in EMQX's GUID shape: a
// timestamp in microseconds, the node, and a sequence number; 16 bytes, big-endian, so
// ids from one worker sort by time. See message_ids.
using message_id = std::array<std::uint8_t, 16>;

struct message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  // v5 properties forwarded to subscribers (payload format, content type, response
  // topic, correlation data, user properties). Null when there are none. Never holds
  // a topic alias, subscription identifiers or the expiry (kept in expires_at).
  std::shared_ptr<const mqtt::properties> props;
  std::string publisher;           // client id; "" for the broker itself
  std::uint64_t timestamp_ms = 0;  // wall clock at publish
  message_id id{};                 // set when it enters the broker (worker::stamp)
  // The node it was published on, when another (interned by the broker, never freed);
  // null for this node.
  const std::string* origin = nullptr;
  // When the Message Expiry Interval runs out; time_point{} means never.
  steady_clock::time_point expires_at{};
  bool sys = false;  // published by the broker ($SYS, will on behalf of a client is not sys)

  bool expired(steady_clock::time_point now) const {
    return expires_at != steady_clock::time_point{} && now >= expires_at;
  }
  // Seconds left, rounded up, for the Message Expiry Interval sent on delivery.
  std::uint32_t remaining_expiry(steady_clock::time_point now) const;
};

using message_ptr = std::shared_ptr<const message>;

std::uint64_t wall_clock_ms();
std::uint64_t wall_clock_us();

// Makes message ids for one worker of one node: [0, 8) microseconds since the epoch,
// [8, 12) a hash of the node name, [12, 14) the worker, [14, 16) a sequence number.
class message_ids {
 public:
  message_ids(std::uint32_t node_hash, std::uint16_t worker)
      : node_hash_(node_hash), worker_(worker) {}
  message_id next(std::uint64_t now_us);

 private:
  std::uint32_t node_hash_;
  std::uint16_t worker_;
  std::uint16_t sequence_ = 0;
};

// The 32-bit FNV-1a hash of a node name, as message ids carry it.
std::uint32_t node_hash(std::string_view node_name);
// "0123abcd..." for logs.
std::string to_hex(const message_id& id);

}  // namespace emqx_cpp::broker
