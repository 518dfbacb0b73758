// SPDX-License-Identifier: Apache-2.0
//
// A session's whole state in the form a session store keeps (proto/session_state.proto):
// subscriptions with their options, the QoS 1/2 messages in flight with their packet
// ids and where each stands, the queue, the inbound QoS 2 ids awaiting PUBREL, the will
// with its delay, the expiry. The decoder reads what a store gave back, so it trusts
// nothing: a blob that does not decode, or holds a value no session could have, is
// refused as a whole (fuzz/session_decode_fuzz.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/session.hpp"
#include "mqtt/packets.hpp"

namespace emqx_cpp::broker {

struct stored_inflight {
  delivery d;  // d.msg is null once a QoS 2 delivery is past PUBREC
  std::uint16_t packet_id = 0;
  session::waiting state = session::waiting::puback;
};

struct stored_session {
  std::string client_id;
  std::string username;
  std::uint32_t expiry_interval = 0;                                // seconds
  std::uint64_t saved_at_ms = 0;                                    // wall clock
  std::vector<std::pair<std::string, subscription>> subscriptions;  // raw filter, details
  std::vector<stored_inflight> inflight;
  std::vector<delivery> queue;
  std::vector<std::uint16_t> awaiting_rel;
  std::unique_ptr<mqtt::will_message> will;
  std::uint64_t will_publish_at_ms = 0;  // wall clock of a delayed will; 0: at session end
  std::uint16_t last_packet_id = 0;

  // Whether it expired by `now_ms` (wall clock), counting from when it was saved.
  bool expired(std::uint64_t now_ms) const {
    return expiry_interval != 0xFFFFFFFF &&
           saved_at_ms + std::uint64_t{expiry_interval} * 1000 <= now_ms;
  }
};

// `will_publish_at_ms`: when the session's delayed will goes out (wall clock), 0 if it
// has none or none is pending.
std::string encode_session(const session& s, std::uint64_t now_ms,
                           std::uint64_t will_publish_at_ms = 0);
// nullopt, with the reason in `why`, for anything a session cannot hold.
std::optional<stored_session> decode_session(std::string_view blob, std::string* why = nullptr);

// Messages forwarded to another node of the cluster, and back (checked like the
// messages of a stored session; nullopt if any is bad).
std::string encode_forward_batch(const std::vector<message_ptr>& messages);
std::optional<std::vector<message_ptr>> decode_forward_batch(std::string_view bytes,
                                                             std::string* why = nullptr);

// Wall clock milliseconds for a steady-clock instant (0 stays 0), and back.
std::uint64_t to_wall_ms(steady_clock::time_point t);
steady_clock::time_point from_wall_ms(std::uint64_t wall_ms);

}  // namespace emqx_cpp::broker
