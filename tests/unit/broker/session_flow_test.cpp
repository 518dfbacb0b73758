// SPDX-License-Identifier: Apache-2.0
//
// A session's flow control against a fake connection: the inflight window, the queue
// behind it and its drop policy, the drop reasons (qos0_msg, queue_full, expired,
// too_large), the QoS 2 exchange, resending on resume and on retry_interval, and the
// inbound QoS 2 ids awaiting PUBREL with their limit and timeout.
#include "broker/session.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace emqx_cpp::broker {
namespace {

using namespace std::chrono_literals;

// The connection: records what the session sends as "topic q1 #7 dup" for a PUBLISH
// and "PUBREL #7", can refuse more output, and refuses payloads above max_payload
// (standing for the client's Maximum Packet Size).
class fake_outbound final : public outbound {
 public:
  bool writable = true;
  std::size_t max_payload = 0;  // 0: no limit
  std::vector<std::string> packets;
  std::vector<std::string> topics;  // of the PUBLISH packets only

  bool can_send() const override { return writable; }
  bool send_publish(const delivery& d, std::uint16_t packet_id, bool dup) override {
    if (max_payload != 0 && d.msg->payload.size() > max_payload) return false;
    packets.push_back(d.msg->topic + " q" + std::to_string(d.qos) + " #" +
                      std::to_string(packet_id) + (dup ? " dup" : ""));
    topics.push_back(d.msg->topic);
    return true;
  }
  void send_pubrel(std::uint16_t packet_id) override {
    packets.push_back("PUBREL #" + std::to_string(packet_id));
  }
};

class drop_recorder final : public drop_listener {
 public:
  std::vector<std::pair<drop_reason, std::string>> drops;  // why, topic
  void delivery_dropped(const session&, const delivery& d, drop_reason why) override {
    drops.emplace_back(why, d.msg ? d.msg->topic : std::string());
  }
};

using drop_list = std::vector<std::pair<drop_reason, std::string>>;
using topic_list = std::vector<std::string>;
using trace = std::vector<std::string>;

delivery make_delivery(std::string topic, std::uint8_t qos, std::string payload = "p",
                       steady_clock::time_point expires_at = {}) {
  auto m = std::make_shared<message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->expires_at = expires_at;
  delivery d;
  d.msg = std::move(m);
  d.qos = qos;
  return d;
}

// A session, its connection and the stats every call reports into.
struct rig {
  session s;
  fake_outbound out;
  drop_recorder recorder;
  delivery_stats stats;
  steady_clock::time_point t0 = steady_clock::now();

  explicit rig(session_limits limits) : s(1, "client", limits) { stats.listener = &recorder; }

  void deliver(std::string topic, std::uint8_t qos, bool online = true) {
    s.deliver(make_delivery(std::move(topic), qos), online ? &out : nullptr, t0, stats);
  }
  std::uint64_t dropped(drop_reason why) const {
    return stats.dropped[static_cast<std::size_t>(why)];
  }
};

session_limits window(std::uint16_t max_inflight) {
  session_limits l;
  l.max_inflight = max_inflight;
  return l;
}

TEST_CASE("session: the inflight window holds QoS 1 back; PUBACKs drain the queue in order") {
  rig r(window(2));
  for (const char* t : {"t1", "t2", "t3", "t4"})
    r.deliver(t, 1);
  CHECK(r.out.topics == topic_list{"t1", "t2"});
  CHECK(r.s.inflight_count() == 2);
  CHECK(r.s.queue_length() == 2);
  CHECK(r.stats.sent == 2);
  CHECK(r.stats.queued == 2);

  CHECK(r.s.on_puback(1, &r.out, r.t0, r.stats));
  CHECK(r.out.topics == topic_list{"t1", "t2", "t3"});
  CHECK_FALSE(r.s.on_puback(1, &r.out, r.t0, r.stats));  // already acknowledged
  CHECK_FALSE(r.s.on_puback(99, &r.out, r.t0, r.stats));
  CHECK(r.s.on_puback(2, &r.out, r.t0, r.stats));
  CHECK(r.out.topics == topic_list{"t1", "t2", "t3", "t4"});
  CHECK(r.s.queue_length() == 0);
  CHECK(r.s.on_puback(3, &r.out, r.t0, r.stats));
  CHECK(r.s.on_puback(4, &r.out, r.t0, r.stats));
  CHECK(r.s.inflight_count() == 0);
  CHECK(r.out.packets == trace{"t1 q1 #1", "t2 q1 #2", "t3 q1 #3", "t4 q1 #4"});
  CHECK(r.recorder.drops.empty());
}

TEST_CASE("session: nothing overtakes what is queued, QoS 0 included") {
  rig r(window(1));
  r.deliver("a", 1);
  r.deliver("b", 1);
  r.deliver("c", 0);  // could go out at once, but "b" waits before it
  CHECK(r.out.topics == topic_list{"a"});
  CHECK(r.s.queue_length() == 2);
  CHECK(r.s.on_puback(1, &r.out, r.t0, r.stats));
  CHECK(r.out.topics == topic_list{"a", "b", "c"});
  CHECK(r.s.queue_length() == 0);
  CHECK(r.s.inflight_count() == 1);
}

TEST_CASE("session: QoS 0 waits in the queue while the connection takes no more") {
  rig r(window(4));
  r.out.writable = false;
  r.deliver("q0", 0);
  CHECK(r.out.packets.empty());
  CHECK(r.s.queue_length() == 1);
  CHECK(r.recorder.drops.empty());
  r.out.writable = true;
  r.s.drain(&r.out, r.t0, r.stats);  // the connection drained
  r.deliver("q0-again", 0);
  CHECK(r.out.packets == trace{"q0 q0 #0", "q0-again q0 #0"});
  CHECK(r.stats.sent == 2);
}

TEST_CASE(
    "session: with mqueue_store_qos0 = false QoS 0 is dropped while the connection takes "
    "no more") {
  session_limits l;
  l.mqueue_store_qos0 = false;
  rig r(l);
  r.out.writable = false;
  r.deliver("q0", 0);
  CHECK(r.s.queue_length() == 0);
  CHECK(r.recorder.drops == drop_list{{drop_reason::qos0_msg, "q0"}});
}

TEST_CASE(
    "session: an elastic queue (online, under flow control) passes max_mqueue_len; "
    "trim_queue applies the limit") {
  session_limits l = window(1);
  l.max_mqueue_len = 2;
  rig r(l);
  r.s.set_queue_elastic(true);
  for (const char* t : {"a", "b", "c", "d", "e"})
    r.deliver(t, 1);
  CHECK(r.s.queue_length() == 4);      // "a" is in flight
  CHECK(r.s.queued_bytes() == 4 * 2);  // topic and payload "p"
  CHECK(r.recorder.drops.empty());
  r.s.set_queue_elastic(false);
  r.s.trim_queue(r.stats);
  CHECK(r.s.queue_length() == 2);
  CHECK(r.s.queued_bytes() == 2 * 2);
  CHECK(r.recorder.drops ==
        drop_list{{drop_reason::queue_full, "b"}, {drop_reason::queue_full, "c"}});
  CHECK(r.s.on_puback(1, &r.out, r.t0, r.stats));
  CHECK(r.out.topics == topic_list{"a", "d"});
  CHECK(r.s.queued_bytes() == 2);
  CHECK(r.s.take_undelivered().size() == 2);
  CHECK(r.s.queued_bytes() == 0);
}

TEST_CASE("session: a full queue gives up its oldest message") {
  session_limits l;
  l.max_mqueue_len = 2;
  rig r(l);
  r.deliver("a", 1, false);
  r.deliver("b", 1, false);
  CHECK(r.recorder.drops.empty());
  r.deliver("c", 1, false);
  r.deliver("d", 0, false);
  r.deliver("e", 1, false);
  r.deliver("f", 1, false);  // pushes out "d", a QoS 0 message
  CHECK(r.s.queue_length() == 2);
  CHECK(r.recorder.drops == drop_list{{drop_reason::queue_full, "a"},
                                      {drop_reason::queue_full, "b"},
                                      {drop_reason::queue_full, "c"},
                                      {drop_reason::qos0_msg, "d"}});
  CHECK(r.dropped(drop_reason::queue_full) == 3);
  CHECK(r.dropped(drop_reason::qos0_msg) == 1);
  CHECK(r.stats.queued == 6);
  r.s.resume(&r.out, r.t0, r.stats);
  CHECK(r.out.topics == topic_list{"e", "f"});
}

TEST_CASE("session: with priorities the higher leaves first, max_mqueue_len applies per priority") {
  session_limits l;
  l.max_mqueue_len = 2;
  rig r(l);
  auto deliver = [&](const char* topic, std::uint16_t priority) {
    delivery d = make_delivery(topic, 1);
    d.priority = priority;
    r.s.deliver(std::move(d), nullptr, r.t0, r.stats);
  };
  deliver("low1", 0);
  deliver("low2", 0);
  deliver("high1", 5);  // a priority of its own: nothing is dropped
  CHECK(r.recorder.drops.empty());
  deliver("low3", 0);  // two of priority 0 already: the oldest of them goes
  deliver("high2", 5);
  deliver("high3", 5);
  CHECK(r.recorder.drops ==
        drop_list{{drop_reason::queue_full, "low1"}, {drop_reason::queue_full, "high1"}});
  CHECK(r.s.queue_length() == 4);
  CHECK(r.s.queued_bytes() == 6 + 6 + 5 + 5);  // topics and a payload of "p" each
  r.s.resume(&r.out, r.t0, r.stats);
  CHECK(r.out.topics == topic_list{"high2", "high3", "low2", "low3"});
}

TEST_CASE("session: trim_queue keeps max_mqueue_len of each priority") {
  session_limits l;
  l.max_mqueue_len = 1;
  rig r(l);
  r.s.set_queue_elastic(true);
  for (const auto& [topic, priority] :
       std::vector<std::pair<const char*, std::uint16_t>>{{"a", 0}, {"b", 7}, {"c", 0}, {"d", 7}}) {
    delivery d = make_delivery(topic, 1);
    d.priority = priority;
    r.s.deliver(std::move(d), nullptr, r.t0, r.stats);
  }
  CHECK(r.s.queue_length() == 4);
  r.s.set_queue_elastic(false);
  r.s.trim_queue(r.stats);
  CHECK(r.recorder.drops ==
        drop_list{{drop_reason::queue_full, "b"}, {drop_reason::queue_full, "a"}});
  CHECK(r.s.queued_bytes() == 2 + 2);  // "d" and "c" with a payload of "p" each
  r.s.resume(&r.out, r.t0, r.stats);
  CHECK(r.out.topics == topic_list{"d", "c"});
}

TEST_CASE("session: mqueue_store_qos0 = false drops QoS 0 while the client is away") {
  session_limits l;
  l.mqueue_store_qos0 = false;
  rig r(l);
  r.deliver("q0", 0, false);
  CHECK(r.s.queue_length() == 0);
  CHECK(r.recorder.drops == drop_list{{drop_reason::qos0_msg, "q0"}});
  r.deliver("q1", 1, false);
  CHECK(r.s.queue_length() == 1);

  rig kept(session_limits{});  // the default keeps them
  kept.deliver("q0", 0, false);
  CHECK(kept.s.queue_length() == 1);
  CHECK(kept.recorder.drops.empty());
}

TEST_CASE("session: an expired message is dropped, not sent") {
  rig r(window(1));
  r.s.deliver(make_delivery("old", 1, "p", r.t0), &r.out, r.t0, r.stats);
  CHECK(r.out.packets.empty());
  CHECK(r.s.inflight_count() == 0);
  CHECK(r.recorder.drops == drop_list{{drop_reason::expired, "old"}});

  // One that expires while it waits in the queue.
  r.deliver("first", 1);
  r.s.deliver(make_delivery("soon", 1, "p", r.t0 + 10s), &r.out, r.t0, r.stats);
  r.deliver("last", 1);
  CHECK(r.s.queue_length() == 2);
  CHECK(r.s.on_puback(1, &r.out, r.t0 + 20s, r.stats));
  CHECK(r.out.topics == topic_list{"first", "last"});
  CHECK(r.dropped(drop_reason::expired) == 2);
  CHECK(r.recorder.drops.back() == std::make_pair(drop_reason::expired, std::string("soon")));
}

TEST_CASE("session: a message larger than the client takes is dropped as too_large") {
  rig r(window(4));
  r.out.max_payload = 3;
  r.s.deliver(make_delivery("big1", 1, "toolong"), &r.out, r.t0, r.stats);
  r.s.deliver(make_delivery("big0", 0, "toolong"), &r.out, r.t0, r.stats);
  CHECK(r.out.packets.empty());
  CHECK(r.s.inflight_count() == 0);
  CHECK(r.recorder.drops ==
        drop_list{{drop_reason::too_large, "big1"}, {drop_reason::too_large, "big0"}});
  r.s.deliver(make_delivery("small", 1, "ok"), &r.out, r.t0, r.stats);
  CHECK(r.out.topics == topic_list{"small"});
  CHECK(r.s.inflight_count() == 1);
}

TEST_CASE("session: QoS 2 goes PUBLISH, PUBREC, PUBREL, PUBCOMP") {
  rig r(window(1));
  r.deliver("two", 2);
  r.deliver("next", 1);
  CHECK(r.out.packets == trace{"two q2 #1"});
  const std::uint16_t pid = 1;
  CHECK_FALSE(r.s.on_puback(pid, &r.out, r.t0, r.stats));   // not a QoS 1 exchange
  CHECK_FALSE(r.s.on_pubcomp(pid, &r.out, r.t0, r.stats));  // no PUBREC yet
  message_ptr acked;
  CHECK(r.s.on_pubrec(pid, false, &r.out, r.t0, r.stats, &acked));
  REQUIRE(acked != nullptr);
  CHECK(acked->topic == "two");
  CHECK(r.out.packets == trace{"two q2 #1", "PUBREL #1"});
  CHECK(r.s.inflight_count() == 1);  // the window stays taken until PUBCOMP
  CHECK(r.s.queue_length() == 1);
  CHECK(r.s.on_pubcomp(pid, &r.out, r.t0, r.stats));
  CHECK(r.s.inflight_count() == 1);  // now "next"
  CHECK(r.out.packets == trace{"two q2 #1", "PUBREL #1", "next q1 #2"});
  CHECK_FALSE(r.s.on_pubcomp(pid, &r.out, r.t0, r.stats));

  // A PUBREC with an error ends the exchange without a PUBREL.
  rig refused(window(1));
  refused.deliver("two", 2);
  const std::size_t before = refused.out.packets.size();
  CHECK(refused.s.on_pubrec(1, true, &refused.out, refused.t0, refused.stats));
  CHECK(refused.s.inflight_count() == 0);
  CHECK(refused.out.packets.size() == before);
}

TEST_CASE("session: resume resends what is in flight with DUP, PUBREL past PUBREC") {
  rig r(window(4));
  r.deliver("a", 1);
  r.deliver("b", 2);
  r.deliver("c", 2);
  CHECK(r.s.on_pubrec(3, false, &r.out, r.t0, r.stats));
  r.deliver("d", 1, false);  // the client went away
  CHECK(r.s.queue_length() == 1);

  fake_outbound again;
  r.s.resume(&again, r.t0, r.stats);
  // What was in flight in its order, then the queue as new.
  CHECK(again.packets == trace{"a q1 #1 dup", "b q2 #2 dup", "PUBREL #3", "d q1 #4"});
  CHECK(r.s.inflight_count() == 4);
  CHECK(r.s.queue_length() == 0);
}

TEST_CASE("session: retry resends only what waited the interval") {
  rig r(window(4));
  fake_outbound& out = r.out;
  CHECK(r.s.next_retry(10s) == steady_clock::time_point{});
  CHECK(r.s.retry(&out, r.t0, 10s) == steady_clock::time_point{});

  r.s.deliver(make_delivery("a", 1), &out, r.t0, r.stats);
  r.s.deliver(make_delivery("b", 1), &out, r.t0 + 5s, r.stats);
  CHECK(r.s.next_retry(10s) == r.t0 + 10s);
  out.packets.clear();

  CHECK(r.s.retry(&out, r.t0 + 9s, 10s) == r.t0 + 10s);
  CHECK(out.packets.empty());

  CHECK(r.s.retry(&out, r.t0 + 10s, 10s) == r.t0 + 15s);
  CHECK(out.packets == trace{"a q1 #1 dup"});
  CHECK(r.s.next_retry(10s) == r.t0 + 15s);

  CHECK(r.s.retry(&out, r.t0 + 15s, 10s) == r.t0 + 20s);
  CHECK(out.packets == trace{"a q1 #1 dup", "b q1 #2 dup"});

  CHECK(r.s.on_puback(1, &out, r.t0 + 16s, r.stats));
  CHECK(r.s.on_puback(2, &out, r.t0 + 16s, r.stats));
  CHECK(r.s.next_retry(10s) == steady_clock::time_point{});
}

TEST_CASE("session: inbound QoS 2 ids wait for PUBREL, within a limit and a timeout") {
  session_limits l;
  l.max_awaiting_rel = 2;
  rig r(l);
  const auto t0 = r.t0;
  CHECK(r.s.next_rel_expiry(10s) == steady_clock::time_point{});
  CHECK(r.s.expire_awaiting_rel(t0, 10s) == 0);

  CHECK(r.s.await_rel(1, t0) == session::rel_status::accepted);
  CHECK(r.s.await_rel(1, t0) == session::rel_status::duplicate);
  CHECK(r.s.await_rel(2, t0 + 1s) == session::rel_status::accepted);
  CHECK(r.s.await_rel(3, t0 + 1s) == session::rel_status::too_many);
  CHECK(r.s.awaiting_rel_count() == 2);

  CHECK(r.s.release(1));
  CHECK_FALSE(r.s.release(1));
  CHECK_FALSE(r.s.release(9));
  CHECK(r.s.await_rel(3, t0 + 2s) == session::rel_status::accepted);
  CHECK(r.s.next_rel_expiry(10s) == t0 + 11s);

  CHECK(r.s.expire_awaiting_rel(t0 + 10s, 10s) == 0);
  CHECK(r.s.expire_awaiting_rel(t0 + 11s, 10s) == 1);
  CHECK(r.s.awaiting_rel_ids() == std::vector<std::uint16_t>{3});
  CHECK(r.s.next_rel_expiry(10s) == t0 + 12s);
  CHECK(r.s.expire_awaiting_rel(t0 + 12s, 10s) == 1);
  CHECK(r.s.awaiting_rel_count() == 0);
  CHECK(r.s.next_rel_expiry(10s) == steady_clock::time_point{});
}

}  // namespace
}  // namespace emqx_cpp::broker
