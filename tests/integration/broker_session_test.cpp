// SPDX-License-Identifier: Apache-2.0
//
// Sessions through the real broker: persistent sessions and offline queues, takeover,
// wills, keepalive and idle timeouts, QoS 2 duplicate suppression, redelivery with DUP.
#include <doctest/doctest.h>

#include <thread>

#include "support/broker_under_test.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::protocol_version;
using mqtt::reason_code;

namespace {
constexpr const char* host = "127.0.0.1";

mqtt::connect_packet connect_packet(const std::string& id, bool clean, std::uint32_t expiry = 0) {
  mqtt::connect_packet c;
  c.client_id = id;
  c.clean_start = clean;
  c.keep_alive = 60;
  if (expiry != 0) c.props.session_expiry_interval = expiry;
  return c;
}
}  // namespace

TEST_CASE("a persistent 3.1.1 session keeps subscriptions and queues QoS 1 while offline") {
  broker_under_test broker("session_persistent");
  {
    mqtt_client c(host, broker.port(), protocol_version::v3_1_1);
    auto ack = c.connect(connect_packet("persist", false));
    REQUIRE(ack);
    CHECK_FALSE(ack->session_present);
    REQUIRE(c.subscribe("p/t", 1));
  }  // socket closed without DISCONNECT
  std::this_thread::sleep_for(200ms);
  mqtt_client pub(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(pub.connect("persist-pub"));
  for (int i = 0; i < 5; ++i)
    REQUIRE(pub.publish("p/t", "m" + std::to_string(i), 1, false, 10 + i));
  mqtt_client c(host, broker.port(), protocol_version::v3_1_1);
  auto ack = c.connect(connect_packet("persist", false));
  REQUIRE(ack);
  CHECK(ack->session_present);
  for (int i = 0; i < 5; ++i) {
    auto p = c.expect<mqtt::publish_packet>();
    REQUIRE(p);
    CHECK(p->payload == "m" + std::to_string(i));  // order kept
    mqtt::ack_packet a;
    a.packet_id = p->packet_id;
    REQUIRE(c.send(a));
  }
}

TEST_CASE("clean start discards the old session") {
  broker_under_test broker("session_clean");
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(connect_packet("cleaner", false, 300)));
    REQUIRE(c.subscribe("c/t", 1));
  }
  std::this_thread::sleep_for(200ms);
  mqtt_client c(host, broker.port());
  auto ack = c.connect(connect_packet("cleaner", true));
  REQUIRE(ack);
  CHECK_FALSE(ack->session_present);
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("cleaner-pub"));
  REQUIRE(pub.publish("c/t", "x", 1));
  CHECK_FALSE(c.expect<mqtt::publish_packet>(500ms));
}

TEST_CASE("unacknowledged QoS 1 is redelivered with DUP after a reconnect") {
  broker_under_test broker("session_redeliver");
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("redeliver-pub"));
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(connect_packet("redeliver", false, 300)));
    REQUIRE(c.subscribe("rd/t", 1));
    REQUIRE(pub.publish("rd/t", "once", 1));
    auto p = c.expect<mqtt::publish_packet>();
    REQUIRE(p);
    CHECK_FALSE(p->dup);
  }  // gone without PUBACK
  std::this_thread::sleep_for(200ms);
  mqtt_client c(host, broker.port());
  auto ack = c.connect(connect_packet("redeliver", false, 300));
  REQUIRE(ack);
  CHECK(ack->session_present);
  auto p = c.expect<mqtt::publish_packet>();
  REQUIRE(p);
  CHECK(p->payload == "once");
  CHECK(p->dup);
}

TEST_CASE("takeover: the old connection gets DISCONNECT 0x8E and the session moves on") {
  broker_under_test broker("session_takeover");
  mqtt_client first(host, broker.port());
  REQUIRE(first.connect(connect_packet("twin", false, 300)));
  REQUIRE(first.subscribe("tw/t", 1));
  mqtt_client second(host, broker.port());
  auto ack = second.connect(connect_packet("twin", false, 300));
  REQUIRE(ack);
  CHECK(ack->session_present);
  auto d = first.expect<mqtt::disconnect_packet>();
  REQUIRE(d);
  CHECK(d->code == reason_code::session_taken_over);
  CHECK(first.closed_within(2s));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("twin-pub"));
  REQUIRE(pub.publish("tw/t", "to-second", 1));
  auto p = second.expect<mqtt::publish_packet>();
  REQUIRE(p);
  CHECK(p->payload == "to-second");
}

TEST_CASE("will: published on an abnormal close, not on a normal DISCONNECT, yes on 0x04") {
  broker_under_test broker("session_will");
  mqtt_client watcher(host, broker.port());
  REQUIRE(watcher.connect("will-watcher"));
  REQUIRE(watcher.subscribe("will/#", 1));
  auto with_will = [](const std::string& id) {
    mqtt::connect_packet c = connect_packet(id, true);
    c.will = mqtt::will_message{"will/" + id, "gone:" + id, 1, false, {}};
    return c;
  };
  {
    mqtt_client a(host, broker.port());
    REQUIRE(a.connect(with_will("abrupt")));
  }  // closed without DISCONNECT
  auto w = watcher.expect<mqtt::publish_packet>(3s);
  REQUIRE(w);
  CHECK(w->topic == "will/abrupt");
  CHECK(w->payload == "gone:abrupt");
  {
    mqtt_client b(host, broker.port());
    REQUIRE(b.connect(with_will("polite")));
    REQUIRE(b.send(mqtt::disconnect_packet{}));
    CHECK(b.closed_within(2s));
  }
  CHECK_FALSE(watcher.expect<mqtt::publish_packet>(500ms));
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(with_will("asked")));
    REQUIRE(c.send(mqtt::disconnect_packet{reason_code::disconnect_with_will_message, {}}));
  }
  auto asked = watcher.expect<mqtt::publish_packet>(3s);
  REQUIRE(asked);
  CHECK(asked->topic == "will/asked");
}

TEST_CASE("will delay: a reconnect within the delay cancels the will") {
  broker_under_test broker("session_will_delay");
  mqtt_client watcher(host, broker.port());
  REQUIRE(watcher.connect("delay-watcher"));
  REQUIRE(watcher.subscribe("wd/#", 1));
  auto connect = [] {
    mqtt::connect_packet c = connect_packet("delayed", false, 60);
    mqtt::properties wp;
    wp.will_delay_interval = 2;
    c.will = mqtt::will_message{"wd/delayed", "late", 0, false, wp};
    return c;
  };
  {
    mqtt_client a(host, broker.port());
    REQUIRE(a.connect(connect()));
  }
  std::this_thread::sleep_for(500ms);
  mqtt_client again(host, broker.port());
  REQUIRE(again.connect(connect()));
  CHECK_FALSE(watcher.expect<mqtt::publish_packet>(2500ms));
  again.close();  // now the delay runs out
  auto w = watcher.expect<mqtt::publish_packet>(4s);
  REQUIRE(w);
  CHECK(w->payload == "late");
}

TEST_CASE("keepalive: no packet within 1.5 x keepalive closes with DISCONNECT 0x8D") {
  broker_under_test broker("session_keepalive");
  mqtt_client c(host, broker.port());
  auto cp = connect_packet("sleepy", true);
  cp.keep_alive = 1;
  auto ack = c.connect(cp);
  REQUIRE(ack);
  const auto start = std::chrono::steady_clock::now();
  auto d = c.expect<mqtt::disconnect_packet>(5s);
  REQUIRE(d);
  CHECK(d->code == reason_code::keep_alive_timeout);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 1400ms);
  CHECK(waited < 3000ms);
}

TEST_CASE("idle timeout: a connection that never sends CONNECT is closed") {
  broker_under_test broker("session_idle", {"EMQX_CPP_MQTT__IDLE_TIMEOUT=1s"});
  mqtt_client c(host, broker.port());
  CHECK_FALSE(c.closed_within(500ms));
  CHECK(c.closed_within(3s));
}

TEST_CASE("QoS 2 inbound: a retransmitted PUBLISH is not delivered twice") {
  broker_under_test broker("session_qos2_dup");
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("q2-sub"));
  REQUIRE(sub.subscribe("q2/t", 2));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("q2-pub"));
  mqtt::publish_packet p;
  p.topic = "q2/t";
  p.payload = "exactly-once";
  p.qos = 2;
  p.packet_id = 5;
  REQUIRE(pub.send(p));
  REQUIRE(pub.expect<mqtt::ack_packet>());
  p.dup = true;
  REQUIRE(pub.send(p));  // as if the PUBREC was lost
  auto rec = pub.expect<mqtt::ack_packet>();
  REQUIRE(rec);
  CHECK(rec->type == mqtt::packet_type::pubrec);
  mqtt::ack_packet rel;
  rel.type = mqtt::packet_type::pubrel;
  rel.packet_id = 5;
  REQUIRE(pub.send(rel));
  auto comp = pub.expect<mqtt::ack_packet>();
  REQUIRE(comp);
  CHECK(comp->type == mqtt::packet_type::pubcomp);
  auto got = sub.expect<mqtt::publish_packet>();
  REQUIRE(got);
  CHECK(got->payload == "exactly-once");
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(500ms));
}

TEST_CASE("the offline queue keeps the newest max_mqueue_len messages") {
  broker_under_test broker("session_mqueue", {"EMQX_CPP_MQTT__MAX_MQUEUE_LEN=3"});
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(connect_packet("queued", false, 300)));
    REQUIRE(c.subscribe("mq/t", 1));
  }
  std::this_thread::sleep_for(200ms);
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("queued-pub"));
  for (int i = 0; i < 6; ++i)
    REQUIRE(pub.publish("mq/t", std::to_string(i), 1, false, 20 + i));
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect(connect_packet("queued", false, 300)));
  std::vector<std::string> got;
  while (auto p = c.expect<mqtt::publish_packet>(1s)) {
    got.push_back(p->payload);
    mqtt::ack_packet a;
    a.packet_id = p->packet_id;
    REQUIRE(c.send(a));
  }
  CHECK(got == std::vector<std::string>{"3", "4", "5"});
}

TEST_CASE("mqtt.mqueue_priorities and mqueue_default_priority order the offline queue") {
  auto order = [](const std::string& name, const std::string& default_priority) {
    broker_under_test broker(name, {"EMQX_CPP_MQTT__MQUEUE_PRIORITIES=prio/high=10",
                                    "EMQX_CPP_MQTT__MQUEUE_DEFAULT_PRIORITY=" + default_priority});
    {
      mqtt_client c(host, broker.port());
      REQUIRE(c.connect(connect_packet("prio", false, 300)));
      REQUIRE(c.subscribe("prio/#", 1));
    }
    std::this_thread::sleep_for(200ms);
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("prio-pub"));
    REQUIRE(pub.publish("prio/low", "a", 1, false, 1));
    REQUIRE(pub.publish("prio/high", "b", 1, false, 2));
    REQUIRE(pub.publish("prio/low", "c", 1, false, 3));
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(connect_packet("prio", false, 300)));
    std::string got;
    while (auto p = c.expect<mqtt::publish_packet>(1s)) {
      got += p->payload;
      mqtt::ack_packet a;
      a.packet_id = p->packet_id;
      REQUIRE(c.send(a));
    }
    return got;
  };
  CHECK(order("prio_lowest", "lowest") == "bac");
  CHECK(order("prio_highest", "highest") == "acb");
}
