// SPDX-License-Identifier: Apache-2.0
//
// A client's session: its subscriptions, the QoS 1/2 messages in flight to it, the
// queue of messages waiting for a free inflight slot or for the client to come back,
// and the inbound QoS 2 packet ids awaiting PUBREL. It outlives connections (clean
// start off, session expiry) and lives on one I/O worker, so it takes no locks.
//
// The session decides what to send and when (flow control, queue limits, drop
// policy); the channel of the current connection decides how (encoding, sizes,
// aliases) through the outbound interface.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/lazy_deque.hpp"
#include "broker/message.hpp"
#include "mqtt/packets.hpp"

namespace emqx_cpp::broker {

// One message on its way to this session, with what is specific to this subscriber.
struct delivery {
  message_ptr msg;
  std::uint8_t qos = 0;
  bool retain = false;  // the RETAIN flag to send
  // Its topic's place in the queue (mqtt.mqueue_priorities): higher leaves first; 0
  // when priorities are off.
  std::uint16_t priority = 0;
  std::uint32_t subscription_id = 0;  // 0: none
  std::string share;                  // "group\nfilter" when it came through a shared subscription
  // Set while its publisher's PUBACK/PUBREC waits for the session stores to keep it
  // (see ack_barrier); resolved by the worker that delivers it.
  std::shared_ptr<struct ack_barrier> barrier;
};

struct subscription {
  std::string group;   // shared group; empty for a plain subscription
  std::string filter;  // without the $share/<group>/ or $exclusive/ prefix
  bool exclusive = false;
  mqtt::subscription_options opts;
  std::uint32_t subscription_id = 0;
  bool shared() const { return !group.empty(); }
};

// Implemented by the channel of the session's current connection.
class outbound {
 public:
  virtual ~outbound() = default;
  // False when the connection's output is above its high-water mark.
  virtual bool can_send() const = 0;
  // Encodes and queues a PUBLISH. Returns false if it cannot be sent at all (larger
  // than the client's Maximum Packet Size): the message is dropped.
  virtual bool send_publish(const delivery& d, std::uint16_t packet_id, bool dup) = 0;
  virtual void send_pubrel(std::uint16_t packet_id) = 0;
};

class session;
struct stored_inflight;  // session_codec.hpp

// Why one subscriber's copy of a message was dropped, with EMQX's names for the
// delivery.dropped hook and the delivery.dropped.<reason> counters:
//   queue_full  a QoS 1/2 message pushed out of a full queue;
//   qos0_msg    a QoS 0 message pushed out of a full queue, not queued while the client
//               is away (mqueue_store_qos0 = false), or not sent while its connection
//               is over the high-water mark;
//   expired     its Message Expiry Interval ran out before it was sent;
//   too_large   larger than the client's Maximum Packet Size [MQTT-3.1.2-25];
//   no_local    the subscriber published it and asked for No Local.
enum class drop_reason : std::uint8_t { queue_full, qos0_msg, expired, too_large, no_local };
inline constexpr std::size_t drop_reason_count = 5;
const char* to_string(drop_reason r);

// Told about every copy a session drops (the worker fires delivery.dropped).
class drop_listener {
 public:
  virtual ~drop_listener() = default;
  virtual void delivery_dropped(const session& s, const delivery& d, drop_reason why) = 0;
};

// Told about every change to a session whose store keeps it change by change (a
// persistent session with a session store that takes changes, ABI 1.1 on_apply). The
// worker batches them per loop iteration.
class session_journal {
 public:
  virtual ~session_journal() = default;
  virtual void appended(const session& s, const delivery& d) = 0;  // QoS 1/2 only
  virtual void sent(const session& s, const delivery& d, std::uint16_t packet_id) = 0;
  virtual void received(const session& s, const delivery& d, std::uint16_t packet_id) = 0;
  virtual void done(const session& s, const delivery& d, std::uint16_t packet_id) = 0;
  virtual void rel_awaited(const session& s, std::uint16_t packet_id) = 0;
  virtual void rel_released(const session& s, std::uint16_t packet_id) = 0;
};

// What happened to the messages a call handled, for the metrics.
struct delivery_stats {
  std::uint64_t sent = 0;
  std::uint64_t queued = 0;
  std::array<std::uint64_t, drop_reason_count> dropped{};  // by drop_reason
  drop_listener* listener = nullptr;

  void drop(const session& s, const delivery& d, drop_reason why) {
    ++dropped[static_cast<std::size_t>(why)];
    if (listener != nullptr) listener->delivery_dropped(s, d, why);
  }
};

struct session_limits {
  std::uint32_t max_mqueue_len = 1000;   // 0: unlimited
  std::uint32_t max_awaiting_rel = 100;  // 0: unlimited
  std::uint16_t max_inflight = 32;       // min(client Receive Maximum, mqtt.max_inflight)
  bool mqueue_store_qos0 = true;
  bool upgrade_qos = false;
};

class session {
 public:
  session(std::uint64_t id, std::string client_id, session_limits limits);

  std::uint64_t id() const { return id_; }
  const std::string& client_id() const { return client_id_; }
  session_limits& limits() { return limits_; }

  // Subscriptions, keyed by the filter exactly as the client wrote it.
  std::map<std::string, subscription>& subscriptions() { return subscriptions_; }

  // A message for this session. `out` is null while no client is connected.
  void deliver(delivery d, outbound* out, steady_clock::time_point now, delivery_stats& stats);

  // Acknowledgements from the client. They return false for an unknown packet id.
  // `acked` receives the message the client acknowledged (for message.acked).
  bool on_puback(std::uint16_t packet_id, outbound* out, steady_clock::time_point now,
                 delivery_stats& stats, message_ptr* acked = nullptr);
  // `refused`: the PUBREC carried an error reason code (v5), which ends the exchange.
  bool on_pubrec(std::uint16_t packet_id, bool refused, outbound* out, steady_clock::time_point now,
                 delivery_stats& stats, message_ptr* acked = nullptr);
  bool on_pubcomp(std::uint16_t packet_id, outbound* out, steady_clock::time_point now,
                  delivery_stats& stats);

  // A client (re)connected to this session: resend what is in flight (PUBLISH with DUP,
  // PUBREL for those past PUBREC) and then fill the window from the queue.
  void resume(outbound* out, steady_clock::time_point now, delivery_stats& stats);

  // Fills free inflight slots from the queue (after the output drained, for example).
  void drain(outbound* out, steady_clock::time_point now, delivery_stats& stats);

  // mqtt.retry_interval: sends again (PUBLISH with DUP, or PUBREL) what has waited for
  // its acknowledgement at least `interval`. Returns when the next one falls due, or
  // time_point{} when nothing is in flight.
  steady_clock::time_point retry(outbound* out, steady_clock::time_point now,
                                 std::chrono::milliseconds interval);
  // When the oldest in-flight message falls due for a retry; time_point{} if none.
  steady_clock::time_point next_retry(std::chrono::milliseconds interval);

  // Inbound QoS 2: returns false when the id is already awaiting PUBREL (a duplicate).
  enum class rel_status { accepted, duplicate, too_many };
  rel_status await_rel(std::uint16_t packet_id, steady_clock::time_point now);
  bool release(std::uint16_t packet_id);  // PUBREL; false if unknown
  // Forgets inbound QoS 2 ids older than `timeout` (mqtt.await_rel_timeout); returns
  // how many.
  std::size_t expire_awaiting_rel(steady_clock::time_point now, std::chrono::milliseconds timeout);
  // When the oldest inbound QoS 2 id times out; time_point{} if none waits.
  steady_clock::time_point next_rel_expiry(std::chrono::milliseconds timeout) const;

  // Everything not yet acknowledged (in flight, then queued), in order. Used to hand
  // shared-subscription messages to another member when this session ends.
  std::vector<delivery> take_undelivered();

  // What an in-flight message waits for.
  enum class waiting : std::uint8_t { puback, pubrec, pubcomp };
  // The whole state, for the session codec: in flight and queued in order, inbound
  // QoS 2 ids awaiting PUBREL.
  template <class F>  // F(const delivery&, std::uint16_t packet_id, waiting)
  void each_inflight(F&& f) {
    for (auto& e : inflight_)
      f(e.d, e.packet_id, e.state);
  }
  template <class F>  // F(const delivery&)
  void each_queued(F&& f) {
    for (auto& d : mqueue_)
      f(d);
  }
  std::vector<std::uint16_t> awaiting_rel_ids() const;
  std::uint16_t last_packet_id() const { return last_packet_id_; }
  // Restoring a saved session (before any client uses it): what was in flight keeps its
  // packet id and is sent again with DUP on resume; the queue follows in order.
  void restore_inflight(delivery d, std::uint16_t packet_id, waiting state);
  void restore_queued(delivery d);
  void restore_awaiting_rel(std::uint16_t packet_id, steady_clock::time_point since);
  void restore_last_packet_id(std::uint16_t id) { last_packet_id_ = id; }
  // Set while the session's store keeps it change by change; null otherwise.
  void set_journal(session_journal* j) { journal_ = j; }
  session_journal* journal() const { return journal_; }
  // Takes back what a saved session had in flight and queued, ahead of what this session
  // queued since it was restored; beyond max_mqueue_len the oldest queued give way.
  void adopt_stored(std::vector<stored_inflight> inflight, std::vector<delivery> queue,
                    delivery_stats& stats);

  std::size_t inflight_count() const { return inflight_.size(); }
  std::size_t queue_length() const { return mqueue_.size(); }
  // Payload and topic bytes of the queued messages (flow control's byte watermark).
  std::uint64_t queued_bytes() const { return queued_bytes_; }
  // While its client is online and reading, flow control bounds the queue by holding
  // back publishers, and max_mqueue_len is not applied: a message the broker has
  // acknowledged is not dropped because the broker itself is behind. Off for an offline
  // session and for a slow subscriber under the drop policy.
  void set_queue_elastic(bool elastic) { queue_elastic_ = elastic; }
  bool queue_elastic() const { return queue_elastic_; }
  // Drops the oldest queued messages beyond max_mqueue_len (queue_full, or qos0_msg).
  void trim_queue(delivery_stats& stats);
  // Set by the worker's flow control while this session holds publishers back.
  bool congested = false;
  std::size_t awaiting_rel_count() const { return awaiting_rel_ ? awaiting_rel_->size() : 0; }

  // Session expiry, in seconds (0xFFFFFFFF: never).
  std::uint32_t expiry_interval = 0;
  // The will of the connection that last used this session.
  std::unique_ptr<mqtt::will_message> will;  // by pointer: most sessions have none
  std::string username;

 private:
  using wait = waiting;
  struct inflight_entry {
    delivery d;
    std::uint16_t packet_id;
    wait state;
    steady_clock::time_point sent_at;  // last (re)transmission, for retry_interval
  };

  std::uint16_t next_packet_id();
  bool send_now(delivery& d, outbound* out, steady_clock::time_point now, delivery_stats& stats);
  void enqueue(delivery d, delivery_stats& stats);
  void resend(inflight_entry& e, outbound* out, steady_clock::time_point now);
  lazy_deque<inflight_entry>::iterator find_inflight(std::uint16_t packet_id);

  std::uint64_t id_;
  std::string client_id_;
  session_limits limits_;
  std::uint16_t last_packet_id_ = 0;  // beside limits_: no padding between them
  bool queue_elastic_ = false;
  std::map<std::string, subscription> subscriptions_;
  lazy_deque<inflight_entry> inflight_;
  lazy_deque<delivery> mqueue_;
  // Inbound QoS 2 packet ids waiting for PUBREL. Allocated on the first QoS 2 message:
  // an empty unordered_map is 56 bytes, and most sessions never see QoS 2.
  using awaiting_rel_map = std::unordered_map<std::uint16_t, steady_clock::time_point>;
  std::unique_ptr<awaiting_rel_map> awaiting_rel_;
  session_journal* journal_ = nullptr;
  std::uint64_t queued_bytes_ = 0;
  void push_queued(delivery d);
  // Behind every queued message of the same or a higher priority.
  void insert_queued(delivery d);
  using queue_iterator = lazy_deque<delivery>::iterator;
  // The queued messages of `priority`, oldest first.
  std::pair<queue_iterator, queue_iterator> run_of(std::uint16_t priority);
  // Counts and reports a queued message that gives way; the caller erases it.
  void drop_queued(const delivery& d, delivery_stats& stats);
};

}  // namespace emqx_cpp::broker
