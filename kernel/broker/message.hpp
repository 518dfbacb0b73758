// SPDX-License-Identifier: Apache-2.0
//
// A published message inside the broker: immutable once created and shared by
// reference, so fanning it out to many subscribers copies nothing but a pointer.
// Per-delivery details (QoS granted, packet id, retain-as-published, subscription
// identifiers, topic alias) live beside it in the session, never in it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mqtt/properties.hpp"

namespace emqx_cpp::broker {

using steady_clock = std::chrono::steady_clock;

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

}  // namespace emqx_cpp::broker
