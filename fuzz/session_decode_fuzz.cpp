// SPDX-License-Identifier: Apache-2.0
//
// The session decoder reads what a session store hands back, which may be anything: any
// bytes must be refused cleanly or decode to a session that survives the round trip
// (restored into a session, encoded again, decoded again, with the same contents).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "broker/session_codec.hpp"

using namespace emqx_cpp::broker;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto first = decode_session(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!first) return 0;
  session s(1, first->client_id, session_limits{});
  s.username = first->username;
  s.expiry_interval = first->expiry_interval;
  for (auto& [raw, sub] : first->subscriptions)
    s.subscriptions().emplace(raw, sub);
  delivery_stats stats;
  s.adopt_stored(std::move(first->inflight), std::move(first->queue), stats);
  for (const auto id : first->awaiting_rel)
    s.restore_awaiting_rel(id, steady_clock::now());
  s.restore_last_packet_id(first->last_packet_id);
  if (first->will) s.will = std::move(first->will);
  const auto blob = encode_session(s, first->saved_at_ms, first->will_publish_at_ms);
  auto second = decode_session(blob);
  if (!second) std::abort();  // what decoded once must decode again
  if (second->client_id != s.client_id() ||
      second->subscriptions.size() != s.subscriptions().size() ||
      second->inflight.size() != s.inflight_count() || second->queue.size() != s.queue_length() ||
      second->awaiting_rel.size() != s.awaiting_rel_count() ||
      (second->will != nullptr) != (s.will != nullptr))
    std::abort();
  return 0;
}
