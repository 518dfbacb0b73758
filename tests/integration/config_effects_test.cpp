// SPDX-License-Identifier: Apache-2.0
//
// Configuration keys whose effect is only visible over time or across clients: each test
// sets a non-default value and observes what it changes (and, where it matters, that
// the default does not do it).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "support/broker_under_test.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
constexpr const char* host = "127.0.0.1";

mqtt::publish_packet qos2(const std::string& topic, std::uint16_t id) {
  mqtt::publish_packet p;
  p.topic = topic;
  p.payload = "once";
  p.qos = 2;
  p.packet_id = id;
  return p;
}
}  // namespace

TEST_CASE("mqtt.retry_interval: an unacknowledged QoS 1 delivery is sent again with DUP") {
  broker_under_test broker("retry_interval", {"EMQX_CPP_MQTT__RETRY_INTERVAL=1s"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("retry-sub"));
  REQUIRE(sub.subscribe("r/t", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("retry-pub"));
  REQUIRE(pub.publish("r/t", "ack me", 1));
  auto first = sub.expect<mqtt::publish_packet>();
  REQUIRE(first);
  CHECK_FALSE(first->dup);
  const auto sent = std::chrono::steady_clock::now();
  auto again = sub.expect<mqtt::publish_packet>(5s);  // not acknowledged on purpose
  REQUIRE(again);
  CHECK(again->dup);
  CHECK(again->packet_id == first->packet_id);
  CHECK(std::chrono::steady_clock::now() - sent >= 900ms);
  mqtt::ack_packet a;
  a.packet_id = again->packet_id;
  REQUIRE(sub.send(a));
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(2500ms));  // acknowledged: no more retries
}

TEST_CASE("mqtt.retry_interval = infinity (the default) resends only on reconnect") {
  broker_under_test broker("retry_default");
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("noretry-sub"));
  REQUIRE(sub.subscribe("r/t", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("noretry-pub"));
  REQUIRE(pub.publish("r/t", "ack me", 1));
  REQUIRE(sub.expect<mqtt::publish_packet>());
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(2500ms));
}

TEST_CASE("mqtt.await_rel_timeout: a QoS 2 id whose PUBREL never came is forgotten") {
  // With the id forgotten, the same packet id is a new message and is delivered again;
  // while it waits (the default 300 s), a PUBLISH reusing it gets PUBREC 0x91.
  for (const bool short_timeout : {true, false}) {
    CAPTURE(short_timeout);
    std::vector<std::string> env;
    if (short_timeout) env.push_back("EMQX_CPP_MQTT__AWAIT_REL_TIMEOUT=1s");
    broker_under_test broker(short_timeout ? "await_rel_1s" : "await_rel_default", env);
    mqtt_client sub(host, broker.port());
    REQUIRE(sub.connect("rel-sub"));
    REQUIRE(sub.subscribe("q2/t", 0));
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("rel-pub"));
    REQUIRE(pub.send(qos2("q2/t", 5)));
    auto rec = pub.expect<mqtt::ack_packet>();
    REQUIRE(rec);
    CHECK(rec->code == reason_code::success);
    REQUIRE(sub.expect<mqtt::publish_packet>());
    std::this_thread::sleep_for(1500ms);  // no PUBREL
    REQUIRE(pub.send(qos2("q2/t", 5)));
    auto second = pub.expect<mqtt::ack_packet>();
    REQUIRE(second);
    if (short_timeout) {
      CHECK(second->code == reason_code::success);
      CHECK(sub.expect<mqtt::publish_packet>(3s));
    } else {
      CHECK(second->code == reason_code::packet_identifier_in_use);
      CHECK_FALSE(sub.expect<mqtt::publish_packet>(700ms));
    }
  }
}

TEST_CASE("retainer.msg_expiry_interval: a retained message without expiry expires anyway") {
  broker_under_test broker("retainer_expiry", {"EMQX_CPP_RETAINER__MSG_EXPIRY_INTERVAL=1s"});
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("ret-exp-pub"));
  REQUIRE(pub.publish("kept/a", "for a second", 1, true));
  {
    mqtt_client early(host, broker.port());
    REQUIRE(early.connect("ret-early"));
    REQUIRE(early.subscribe("kept/#", 1));
    auto got = early.expect<mqtt::publish_packet>();
    REQUIRE(got);
    CHECK(got->retain);
  }
  std::this_thread::sleep_for(1500ms);
  mqtt_client late(host, broker.port());
  REQUIRE(late.connect("ret-late"));
  REQUIRE(late.subscribe("kept/#", 1));
  CHECK_FALSE(late.expect<mqtt::publish_packet>(700ms));
}

TEST_CASE("retainer.max_retained_messages: expired messages make room for new ones") {
  // The broker keeps three retained $SYS topics of its own ($SYS/brokers, version and
  // sysdescr): a limit of 5 leaves room for two.
  broker_under_test broker("retainer_full", {"EMQX_CPP_RETAINER__MAX_RETAINED_MESSAGES=5",
                                             "EMQX_CPP_RETAINER__MSG_EXPIRY_INTERVAL=1s"});
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("ret-full-pub"));
  REQUIRE(pub.publish("full/1", "a", 1, true, 1));
  REQUIRE(pub.publish("full/2", "b", 1, true, 2));
  REQUIRE(pub.publish("full/3", "refused: the store is full", 1, true, 3));
  {
    mqtt_client sub(host, broker.port());
    REQUIRE(sub.connect("ret-full-sub"));
    REQUIRE(sub.subscribe("full/#", 1));
    int n = 0;
    while (auto got = sub.expect<mqtt::publish_packet>(700ms)) {
      CHECK(got->topic != "full/3");
      ++n;
    }
    CHECK(n == 2);
  }
  std::this_thread::sleep_for(1500ms);  // full/1 and full/2 expire
  REQUIRE(pub.publish("full/4", "d", 1, true, 4));
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("ret-full-sub2"));
  REQUIRE(sub.subscribe("full/#", 1));
  auto got = sub.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "full/4");
}

TEST_CASE("retainer.msg_clear_interval: expired retained messages leave the count") {
  // $SYS stats/retained/count shows what the store holds (its own retained $SYS topics
  // included), expired or not, until a sweep removes the expired ones.
  auto retained_count = [](bool sweep) {
    std::vector<std::string> env = {"EMQX_CPP_SYS_TOPICS__SYS_MSG_INTERVAL=200ms"};
    if (sweep) env.push_back("EMQX_CPP_RETAINER__MSG_CLEAR_INTERVAL=200ms");
    broker_under_test broker(sweep ? "retainer_clear" : "retainer_noclear", env);
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("ret-clear-pub"));
    mqtt::publish_packet p;
    p.topic = "short/lived";
    p.payload = "x";
    p.qos = 1;
    p.retain = true;
    p.packet_id = 1;
    p.props = std::make_unique<mqtt::properties>();
    p.props->message_expiry_interval = 1;
    REQUIRE(pub.send(p));
    REQUIRE(pub.expect<mqtt::ack_packet>());
    std::this_thread::sleep_for(1500ms);
    mqtt_client sys(host, broker.port());
    REQUIRE(sys.connect("ret-clear-sys"));
    REQUIRE(sys.subscribe("$SYS/brokers/+/stats/retained/count", 0));
    std::string last;
    for (int i = 0; i < 4; ++i) {  // a few ticks: the latest count
      if (auto got = sys.expect<mqtt::publish_packet>(1s)) last = got->payload;
    }
    REQUIRE_FALSE(last.empty());
    return std::stoi(last);
  };
  const int swept = retained_count(true);
  const int kept = retained_count(false);
  CHECK(kept == swept + 1);
}

TEST_CASE("mqtt.exclusive_subscription: one subscriber per $exclusive filter") {
  broker_under_test broker("exclusive", {"EMQX_CPP_MQTT__EXCLUSIVE_SUBSCRIPTION=true"});
  mqtt_client a(host, broker.port());
  REQUIRE(a.connect("excl-a"));
  mqtt_client b(host, broker.port());
  REQUIRE(b.connect("excl-b"));
  auto subscribe = [](mqtt_client& c, std::uint16_t id) {
    mqtt::subscribe_packet s;
    s.packet_id = id;
    s.entries.push_back({"$exclusive/ex/t", {1, false, false, 0}});
    REQUIRE(c.send(s));
    auto ack = c.expect<mqtt::suback_packet>();
    REQUIRE(ack);
    REQUIRE(ack->codes.size() == 1);
    return ack->codes[0];
  };
  CHECK(subscribe(a, 1) == reason_code::granted_qos_1);
  CHECK(subscribe(b, 1) == reason_code::quota_exceeded);
  CHECK(subscribe(a, 2) == reason_code::granted_qos_1);  // the holder may renew it
  // The exclusive subscription routes like a plain one on the filter after the prefix.
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("excl-pub"));
  REQUIRE(pub.publish("ex/t", "to the holder", 1));
  auto got = a.expect<mqtt::publish_packet>();
  REQUIRE(got);
  CHECK(got->topic == "ex/t");
  // Released by unsubscribing (and by the session's end).
  mqtt::unsubscribe_packet u;
  u.packet_id = 3;
  u.filters = {"$exclusive/ex/t"};
  REQUIRE(a.send(u));
  REQUIRE(a.expect<mqtt::unsuback_packet>());
  CHECK(subscribe(b, 2) == reason_code::granted_qos_1);
  b.close();
  std::this_thread::sleep_for(300ms);
  CHECK(subscribe(a, 4) == reason_code::granted_qos_1);
}

TEST_CASE("sys_topics.sys_event_messages.client_subscribed / client_unsubscribed") {
  broker_under_test broker("sys_sub_events",
                           {"EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_SUBSCRIBED=true",
                            "EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_UNSUBSCRIBED=true"});
  mqtt_client watcher(host, broker.port());
  REQUIRE(watcher.connect("sys-watcher"));
  REQUIRE(watcher.subscribe("$SYS/brokers/+/clients/+/+", 0));
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("sys-subber"));
  auto next_event = [&](const std::string& suffix) -> nlohmann::json {
    while (auto got = watcher.expect<mqtt::publish_packet>(3s)) {
      if (got->topic.ends_with("/clients/sys-subber/" + suffix))
        return nlohmann::json::parse(got->payload);
    }
    return nullptr;
  };
  REQUIRE(c.subscribe("ev/+", 1));
  auto sub = next_event("subscribed");
  REQUIRE(sub.is_object());
  CHECK(sub["clientid"] == "sys-subber");
  CHECK(sub["topic"] == "ev/+");
  CHECK(sub["subopts"]["qos"] == 1);
  mqtt::unsubscribe_packet u;
  u.packet_id = 2;
  u.filters = {"ev/+"};
  REQUIRE(c.send(u));
  auto unsub = next_event("unsubscribed");
  REQUIRE(unsub.is_object());
  CHECK(unsub["topic"] == "ev/+");
}

TEST_CASE("mqtt.session_expiry_interval: an MQTT 3.1.1 persistent session ends after it") {
  broker_under_test broker("session_expiry_1s", {"EMQX_CPP_MQTT__SESSION_EXPIRY_INTERVAL=1s"});
  mqtt::connect_packet cp;
  cp.version = mqtt::protocol_version::v3_1_1;
  cp.client_id = "short-session";
  cp.clean_start = false;
  {
    mqtt_client c(host, broker.port(), mqtt::protocol_version::v3_1_1);
    REQUIRE(c.connect(cp));
    REQUIRE(c.subscribe("se/t", 1));
  }
  std::this_thread::sleep_for(1500ms);
  mqtt_client c(host, broker.port(), mqtt::protocol_version::v3_1_1);
  auto ack = c.connect(cp);
  REQUIRE(ack);
  CHECK_FALSE(ack->session_present);  // with the default 2 h it would still be there
}

TEST_CASE("mqtt.message_expiry_interval: a message without its own expiry expires") {
  broker_under_test broker("message_expiry_1s", {"EMQX_CPP_MQTT__MESSAGE_EXPIRY_INTERVAL=1s"});
  mqtt::connect_packet cp;
  cp.client_id = "away";
  cp.clean_start = false;
  cp.props.session_expiry_interval = 300;
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect(cp));
    REQUIRE(c.subscribe("me/t", 1));
  }
  std::this_thread::sleep_for(200ms);
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("me-pub"));
  REQUIRE(pub.publish("me/t", "stale soon", 1));
  std::this_thread::sleep_for(1500ms);
  mqtt_client c(host, broker.port());
  auto ack = c.connect(cp);
  REQUIRE(ack);
  CHECK(ack->session_present);
  CHECK_FALSE(c.expect<mqtt::publish_packet>(700ms));
}

TEST_CASE("retainer.enable = false and retainer.max_payload_size: what is not stored") {
  broker_under_test off("retainer_off", {"EMQX_CPP_RETAINER__ENABLE=false"});
  broker_under_test small("retainer_small", {"EMQX_CPP_RETAINER__MAX_PAYLOAD_SIZE=10B"});
  auto retained_after = [](broker_under_test& b, const std::string& payload) {
    const std::string topic = "ret/" + std::to_string(payload.size());
    mqtt_client pub(host, b.port());
    REQUIRE(pub.connect("ret-pub"));
    REQUIRE(pub.publish(topic, payload, 1, true));
    mqtt_client sub(host, b.port());
    REQUIRE(sub.connect("ret-sub"));
    REQUIRE(sub.subscribe(topic, 1));
    return sub.expect<mqtt::publish_packet>(700ms).has_value();
  };
  CHECK_FALSE(retained_after(off, "short"));
  CHECK(retained_after(small, "short"));
  CHECK_FALSE(retained_after(small, "longer than ten bytes"));
}

TEST_CASE("sys_topics.sys_event_messages: connected and disconnected events can be turned off") {
  broker_under_test broker("sys_no_conn_events",
                           {"EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_CONNECTED=false",
                            "EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_DISCONNECTED=false",
                            "EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_SUBSCRIBED=true"});
  mqtt_client watcher(host, broker.port());
  REQUIRE(watcher.connect("quiet-watcher"));
  REQUIRE(watcher.subscribe("$SYS/brokers/+/clients/+/+", 0));
  {
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect("quiet-client"));
    REQUIRE(c.subscribe("q/t", 0));  // still published: shows the watcher would see events
    REQUIRE(c.send(mqtt::disconnect_packet{}));
  }
  std::vector<std::string> topics;
  while (auto got = watcher.expect<mqtt::publish_packet>(1s))
    topics.push_back(got->topic);
  REQUIRE(topics.size() == 1);
  CHECK(topics[0].ends_with("/clients/quiet-client/subscribed"));
}
