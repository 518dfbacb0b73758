// SPDX-License-Identifier: Apache-2.0
//
// Flow control: publishers that do not wait for delivery (open loop, bounded only by
// their QoS 1 window, as devices are) feeding subscribers the broker is behind on. The
// broker holds the publishers back instead of dropping what it acknowledged; a
// subscriber that stays above the mark is handled by slow_subscriber_policy; keepalive
// is not enforced on a publisher the broker stopped reading.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_under_test.hpp"
#include "support/eventually.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
const char* const host = "127.0.0.1";

// Publishes `count` QoS 1 messages "<client>:<n>" on `topic` from its own thread,
// keeping up to 32 unacknowledged, and counts the PUBACKs.
class open_loop_publisher {
 public:
  open_loop_publisher(int port, std::string client_id, std::string topic, int count,
                      std::size_t payload_size = 0, std::uint16_t keepalive = 60)
      : client_(host, port), id_(std::move(client_id)) {
    mqtt::connect_packet c;
    c.client_id = id_;
    c.keep_alive = keepalive;
    connected_ = client_.connect(c).has_value();
    thread_ = std::thread([this, topic = std::move(topic), count, payload_size] {
      int sent = 0;
      int inflight = 0;
      while (!stop_ && acked_ < count) {
        while (sent < count && inflight < 32) {
          mqtt::publish_packet p;
          p.qos = 1;
          p.topic = topic;
          p.packet_id = static_cast<std::uint16_t>(sent % 60000 + 1);
          p.payload = id_ + ":" + std::to_string(sent);
          if (p.payload.size() < payload_size) p.payload.resize(payload_size, '.');
          if (!client_.send(p)) {
            failed_ = true;
            return;
          }
          ++sent;
          ++inflight;
        }
        auto ack = client_.expect<mqtt::ack_packet>(100ms);
        if (!ack) {
          if (client_.closed_within(0ms)) {
            failed_ = true;
            return;
          }
          continue;
        }
        --inflight;
        ++acked_;
      }
    });
  }
  ~open_loop_publisher() {
    stop_ = true;
    thread_.join();
  }
  bool connected() const { return connected_; }
  int acked() const { return acked_; }
  bool failed() const { return failed_; }

 private:
  mqtt_client client_;
  std::string id_;
  bool connected_ = false;
  std::atomic<int> acked_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A subscriber with a Receive Maximum of 1: the broker can have one message in flight
// to it, so everything else waits in its session queue.
mqtt::connect_packet narrow_subscriber(const std::string& id) {
  mqtt::connect_packet c;
  c.client_id = id;
  c.keep_alive = 60;
  c.props.receive_maximum = 1;
  return c;
}

// Reads and acknowledges until `expected` messages came or nothing came for `quiet`;
// returns the payloads in arrival order.
std::vector<std::string> read_all(mqtt_client& sub, std::size_t expected,
                                  std::chrono::milliseconds quiet = 2000ms) {
  std::vector<std::string> got;
  while (got.size() < expected) {
    auto p = sub.expect<mqtt::publish_packet>(quiet);
    if (!p) break;
    got.push_back(p->payload);
    mqtt::ack_packet a;
    a.packet_id = p->packet_id;
    if (!sub.send(a)) break;
  }
  return got;
}

// Every publisher's messages arrived once each, in the order it sent them.
void check_complete(const std::vector<std::string>& got, int publishers, int per_publisher) {
  std::map<std::string, int> next;
  int out_of_order = 0;
  for (const auto& payload : got) {
    const auto colon = payload.find(':');
    const std::string who = payload.substr(0, colon);
    const int n = std::stoi(payload.substr(colon + 1));  // up to the padding dots
    if (n != next[who]) ++out_of_order;
    next[who] = n + 1;
  }
  CHECK(got.size() == static_cast<std::size_t>(publishers * per_publisher));
  CHECK(out_of_order == 0);
  CHECK(next.size() == static_cast<std::size_t>(publishers));
}
}  // namespace

TEST_CASE("flow control: open-loop QoS 1 publishers lose nothing") {
  // max_mqueue_len 10 would drop almost everything if the queue of an online session
  // were held to it; six publishers on two workers exercise holds across workers.
  broker_under_test broker("flow_open_loop",
                           {"EMQX_CPP_MQTT__MAX_MQUEUE_LEN=10", "EMQX_CPP_NODE__WORKER_THREADS=2",
                            "EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=50"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("fc-sub")));
  REQUIRE(sub.subscribe("fc/#", 1));
  constexpr int publishers = 6;
  constexpr int per_publisher = 1500;
  std::vector<std::unique_ptr<open_loop_publisher>> pubs;
  for (int i = 0; i < publishers; ++i) {
    pubs.push_back(std::make_unique<open_loop_publisher>(
        broker.port(), "fc-pub" + std::to_string(i), "fc/" + std::to_string(i), per_publisher));
    REQUIRE(pubs.back()->connected());
  }
  const auto got = read_all(sub, static_cast<std::size_t>(publishers) * per_publisher);
  check_complete(got, publishers, per_publisher);
  for (const auto& p : pubs) {
    CHECK(eventually([&] { return p->acked() == per_publisher; }, 5s));
    CHECK_FALSE(p->failed());
  }
  CHECK(broker.log().find("delivery_dropped") == std::string::npos);
}

TEST_CASE("flow_control.queue_high_watermark: publishers wait at the mark") {
  broker_under_test broker("flow_hwm", {"EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=100",
                                        "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=60s"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("hwm-sub")));
  REQUIRE(sub.subscribe("hwm/t", 1));
  open_loop_publisher pub(broker.port(), "hwm-pub", "hwm/t", 2000);
  REQUIRE(pub.connected());
  // The subscriber reads nothing yet: one message in flight, the queue fills to the mark,
  // and the publisher gets no PUBACK beyond what was read before the hold (its window).
  std::this_thread::sleep_for(1s);
  const int held_at = pub.acked();
  CAPTURE(held_at);
  CHECK(held_at >= 100);
  CHECK(held_at <= 100 + 1 + 32 + 8);
  std::this_thread::sleep_for(500ms);
  CHECK(pub.acked() == held_at);
  // Reading again releases it; nothing was lost.
  const auto got = read_all(sub, 2000);
  check_complete(got, 1, 2000);
  CHECK(eventually([&] { return pub.acked() == 2000; }, 5s));
}

TEST_CASE("flow_control.queue_high_watermark_bytes: held by bytes") {
  broker_under_test broker("flow_hwm_bytes",
                           {"EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK_BYTES=20KB",
                            "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=60s"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("hwmb-sub")));
  REQUIRE(sub.subscribe("hwmb/t", 1));
  open_loop_publisher pub(broker.port(), "hwmb-pub", "hwmb/t", 300, 1024);
  REQUIRE(pub.connected());
  std::this_thread::sleep_for(1s);
  const int held_at = pub.acked();
  CAPTURE(held_at);
  // 20 KiB of about 1 KiB messages: about 20 queued, one in flight, plus the window.
  CHECK(held_at >= 19);
  CHECK(held_at <= 20 + 1 + 32 + 8);
  const auto got = read_all(sub, 300);
  check_complete(got, 1, 300);
}

TEST_CASE("flow_control.slow_subscriber_timeout: released, then drop") {
  broker_under_test broker("flow_slow_drop", {"EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=100",
                                              "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=1s",
                                              "EMQX_CPP_MQTT__MAX_MQUEUE_LEN=40"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("slow-sub")));
  REQUIRE(sub.subscribe("slow/t", 1));
  open_loop_publisher pub(broker.port(), "slow-pub", "slow/t", 1000);
  REQUIRE(pub.connected());
  std::this_thread::sleep_for(500ms);
  CHECK(pub.acked() < 200);  // held
  // After the timeout the publisher goes on, and the subscriber keeps the newest 40.
  CHECK(eventually([&] { return pub.acked() == 1000; }, 5s));
  CHECK(broker.log().find("slow_subscriber client=slow-sub") != std::string::npos);
  CHECK(broker.log().find("policy=drop") != std::string::npos);
  const auto got = read_all(sub, 1000, 1000ms);
  CAPTURE(got.size());
  REQUIRE(!got.empty());
  CHECK(got.size() <= 41 + 1);
  CHECK(got.back() == "slow-pub:999");
}

TEST_CASE("flow_control.slow_subscriber_policy = disconnect: 0x97") {
  broker_under_test broker("flow_slow_disconnect",
                           {"EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=100",
                            "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=1s",
                            "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_POLICY=disconnect"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("slow-sub2")));
  REQUIRE(sub.subscribe("slow2/t", 1));
  open_loop_publisher pub(broker.port(), "slow-pub2", "slow2/t", 1000);
  REQUIRE(pub.connected());
  CHECK(eventually([&] { return pub.acked() == 1000; }, 5s));
  const auto d = sub.expect<mqtt::disconnect_packet>(5s);
  REQUIRE(d);
  CHECK(d->code == mqtt::reason_code::quota_exceeded);
  CHECK(broker.log().find("policy=disconnect") != std::string::npos);
}

TEST_CASE("flow control: no keepalive timeout while held") {
  // Keepalive 1 s: without the exemption the held publisher would be closed after 1.5 s.
  broker_under_test broker("flow_keepalive",
                           {"EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=50",
                            "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=60s"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("ka-sub")));
  REQUIRE(sub.subscribe("ka/t", 1));
  open_loop_publisher pub(broker.port(), "ka-pub", "ka/t", 500, 0, 1);
  REQUIRE(pub.connected());
  std::this_thread::sleep_for(3s);
  CHECK(pub.acked() < 500);
  CHECK_FALSE(pub.failed());
  const auto got = read_all(sub, 500);
  check_complete(got, 1, 500);
  CHECK(eventually([&] { return pub.acked() == 500; }, 5s));
  CHECK_FALSE(pub.failed());
  CHECK(broker.log().find("keepalive timeout") == std::string::npos);
}

TEST_CASE("overload_protection: over the memory budget, new clients get 0x89 and publishers wait") {
  // Nothing but the memory budget holds the publisher: the flow control marks are out
  // of reach. 1,500 messages of 64 KiB queued for a subscriber that does not read take
  // the heap past 64 MiB; reading them brings it below 32 MiB again.
  broker_under_test broker("overload_memory",
                           {"EMQX_CPP_OVERLOAD_PROTECTION__ENABLE=true",
                            "EMQX_CPP_OVERLOAD_PROTECTION__MEMORY_HIGH_WATERMARK=64MB",
                            "EMQX_CPP_OVERLOAD_PROTECTION__MEMORY_LOW_WATERMARK=32MB",
                            "EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=1000000",
                            "EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK_BYTES=1GB",
                            "EMQX_CPP_FLOW_CONTROL__SLOW_SUBSCRIBER_TIMEOUT=60s"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect(narrow_subscriber("mem-sub")));
  REQUIRE(sub.subscribe("mem/t", 1));
  open_loop_publisher pub(broker.port(), "mem-pub", "mem/t", 1500, std::size_t{64} * 1024);
  REQUIRE(pub.connected());
  REQUIRE(eventually(
      [&] {
        return broker.log().find("overload_protection state=overloaded") != std::string::npos;
      },
      20s));
  std::this_thread::sleep_for(500ms);
  const int held_at = pub.acked();
  CAPTURE(held_at);
  CHECK(held_at < 1500);
  std::this_thread::sleep_for(500ms);
  CHECK(pub.acked() == held_at);  // not read while overloaded

  mqtt_client refused5(host, broker.port());
  mqtt::connect_packet c;
  c.client_id = "mem-new5";
  const auto ack5 = refused5.connect(c);
  REQUIRE(ack5);
  CHECK(ack5->code == mqtt::reason_code::server_busy);
  mqtt_client refused3(host, broker.port(), mqtt::protocol_version::v3_1_1);
  c.client_id = "mem-new3";
  c.version = mqtt::protocol_version::v3_1_1;
  const auto ack3 = refused3.connect(c);
  REQUIRE(ack3);
  CHECK(mqtt::to_v3(ack3->code) == mqtt::connack_v3::server_unavailable);

  // Draining the subscriber brings the node back under its budget: nothing was lost.
  const auto got = read_all(sub, 1500);
  check_complete(got, 1, 1500);
  CHECK(eventually([&] { return pub.acked() == 1500; }, 10s));
  CHECK(broker.log().find("overload_protection state=normal") != std::string::npos);
  mqtt_client later(host, broker.port());
  CHECK(later.connect("mem-later"));
}

namespace {
// 40 open-loop messages through a listener limited to about ten a second (a full bucket
// of ten, then ten a second): about 20 acknowledged after one second, all by six, and
// the client is slowed, never disconnected.
void check_paced(const std::string& name, const std::string& limit, std::size_t payload) {
  broker_under_test broker(name, {limit});
  open_loop_publisher pub(broker.port(), name + "-pub", name + "/t", 40, payload);
  REQUIRE(pub.connected());
  std::this_thread::sleep_for(1s);
  const int after_1s = pub.acked();
  CAPTURE(after_1s);
  CHECK(after_1s >= 12);
  CHECK(after_1s <= 28);
  CHECK(eventually([&] { return pub.acked() == 40; }, 6s));
  CHECK_FALSE(pub.failed());
}
}  // namespace

TEST_CASE("listeners.tcp.<name>.messages_rate: a client above it is read more slowly") {
  check_paced("rate_messages", "EMQX_CPP_LISTENERS__TCP__DEFAULT__MESSAGES_RATE=10/s", 0);
}

TEST_CASE("listeners.tcp.<name>.bytes_rate: bytes read per period are limited") {
  // Messages of about a kilobyte (with their headers, a little more).
  check_paced("rate_bytes", "EMQX_CPP_LISTENERS__TCP__DEFAULT__BYTES_RATE=10KB/s", 1000);
}

TEST_CASE("listeners.tcp.<name>.max_conn_rate: connections beyond it wait in the backlog") {
  broker_under_test broker("rate_conn", {"EMQX_CPP_LISTENERS__TCP__DEFAULT__MAX_CONN_RATE=5/s"});
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<mqtt_client>> clients;
  for (int i = 0; i < 15; ++i) {
    clients.push_back(std::make_unique<mqtt_client>(host, broker.port()));
    REQUIRE(clients.back()->connect("conn-rate-" + std::to_string(i)));
  }
  // Five at once, the other ten at five a second (the broker's own first connection,
  // made when it started, took one token).
  const auto took = std::chrono::steady_clock::now() - start;
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  CHECK(took >= 1800ms);
  CHECK(took <= 6s);
}

TEST_CASE("force_shutdown: a connected client past max_mailbox_size or max_heap_size is closed") {
  auto closed_for = [](const std::string& name, const std::string& limit, std::size_t payload) {
    broker_under_test broker(name, {"EMQX_CPP_FORCE_SHUTDOWN__ENABLE=true", limit,
                                    "EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK=1000000",
                                    "EMQX_CPP_FLOW_CONTROL__QUEUE_HIGH_WATERMARK_BYTES=1GB"});
    mqtt_client sub(host, broker.port());
    REQUIRE(sub.connect(narrow_subscriber(name + "-sub")));
    REQUIRE(sub.subscribe("fs/t", 1));
    open_loop_publisher pub(broker.port(), name + "-pub", "fs/t", 200, payload);
    REQUIRE(pub.connected());
    const auto d = sub.expect<mqtt::disconnect_packet>(10s);
    REQUIRE(d);
    CHECK(d->code == mqtt::reason_code::quota_exceeded);
    CHECK(eventually([&] { return pub.acked() == 200; }, 10s));
    return broker.log();
  };
  CHECK(closed_for("fs_mailbox", "EMQX_CPP_FORCE_SHUTDOWN__MAX_MAILBOX_SIZE=50", 0)
            .find("force_shutdown client=fs_mailbox-sub reason=mailbox_overflow") !=
        std::string::npos);
  CHECK(closed_for("fs_heap", "EMQX_CPP_FORCE_SHUTDOWN__MAX_HEAP_SIZE=64KB", 1024)
            .find("force_shutdown client=fs_heap-sub reason=proc_heap_too_large") !=
        std::string::npos);
}
