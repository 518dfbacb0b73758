// SPDX-License-Identifier: Apache-2.0
//
// Back-pressure from online subscribers to their publishers (docs/design/flow-control.md).
//
// When the broker falls behind delivering to a connected subscriber (its session queue
// reaches flow_control.queue_high_watermark messages or _bytes), every publisher whose
// message lands in that queue is held back: its channel stops reading at its next
// PUBLISH, and TCP flow control slows the client. Once the queue is below half of both
// marks the publishers are read again. An acknowledged QoS 1/2 message is so never
// dropped because the broker itself is behind. A subscriber that stays above the mark
// for flow_control.slow_subscriber_timeout is slow: its publishers are released and
// flow_control.slow_subscriber_policy applies (drop: EMQX's queue limit; disconnect).
//
// One instance per worker, for the sessions that live on it. The publishers may live
// on any worker: a hold of a channel elsewhere travels as a message to its worker,
// batched per loop iteration, and releases follow the same path, so they arrive in
// order.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/session.hpp"
#include "runtime/event_loop.hpp"

namespace emqx_cpp::broker {

class channel;
class worker;

// The connection a message came from, as the worker that delivers it knows it.
struct publisher_ref {
  std::uint16_t worker = 0;
  std::uint64_t channel = 0;  // 0: not a client (a will, the broker, a plugin, another node)
  bool operator==(const publisher_ref&) const = default;
};

class flow_control {
 public:
  explicit flow_control(worker& w);
  ~flow_control();
  flow_control(const flow_control&) = delete;
  flow_control& operator=(const flow_control&) = delete;

  // A client is online on `s` (connected or took it over): its queue is bounded by
  // holding publishers back, not by max_mqueue_len.
  static void online(session& s);
  // After a delivery to `s`, whose client is online: at the high-water mark the
  // publisher `from` is held back until the queue drains.
  void delivered(session& s, publisher_ref from) {
    if (!s.congested && !over_high(s)) return;
    congest(s, from);
  }
  // After the queue of `s` shrank (acknowledgements, the connection drained).
  void drained(session& s) {
    if (s.congested && !over_low(s)) relieve(s);
  }
  // force_shutdown: a connected client whose queue or held bytes pass the limits is
  // disconnected (0x97). Returns true when it was.
  bool over_connection_limits(session& s, channel& ch);
  // `s` went offline or ends: its publishers go, and max_mqueue_len applies again
  // (the oldest messages beyond it are dropped).
  void offline(session& s);
  // Holds of this worker's channels sent by other workers: `delta` is +1 or -1.
  void apply(const std::vector<std::pair<std::uint64_t, int>>& holds);
  // Sends the holds and releases for other workers collected in this iteration.
  void flush();
  // Sessions currently holding publishers back (for tests and metrics).
  std::size_t congested_sessions() const { return congested_.size(); }

 private:
  struct congestion {
    std::vector<publisher_ref> held;
    std::chrono::steady_clock::time_point since;
    bool slow = false;  // the drop policy applies: nothing is held
  };

  bool over_high(const session& s) const;
  bool over_low(const session& s) const;
  void congest(session& s, publisher_ref from);
  void relieve(session& s);
  // Ends the congestion of `s`: its publishers are released.
  void forget(session& s);
  void release_all(congestion& c);
  void hold(publisher_ref p, int delta);
  void check_slow();
  void arm_check();

  worker& worker_;
  std::unordered_map<std::uint64_t, congestion> congested_;         // by session id
  std::vector<std::vector<std::pair<std::uint64_t, int>>> outbox_;  // per worker
  bool outbox_used_ = false;
  runtime::timer_id check_timer_ = 0;
};

}  // namespace emqx_cpp::broker
