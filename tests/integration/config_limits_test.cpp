// SPDX-License-Identifier: Apache-2.0
//
// The [mqtt] keys that set protocol limits and capabilities: each test sets a
// non-default value and observes what a client sees because of it.
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

std::optional<mqtt::connack_packet> connect_v5(mqtt_client& c, const std::string& id,
                                               std::uint16_t keepalive = 60) {
  mqtt::connect_packet cp;
  cp.client_id = id;
  cp.keep_alive = keepalive;
  return c.connect(cp);
}

// The SUBACK code for one filter.
reason_code subscribe_code(mqtt_client& c, const std::string& filter, std::uint8_t qos = 1,
                           std::uint16_t id = 1) {
  mqtt::subscribe_packet s;
  s.packet_id = id;
  s.entries.push_back({filter, {qos, false, false, 0}});
  if (!c.send(s)) return reason_code::unspecified_error;
  auto ack = c.expect<mqtt::suback_packet>();
  if (!ack || ack->codes.size() != 1) return reason_code::unspecified_error;
  return ack->codes[0];
}

// The DISCONNECT the broker sends before closing, if any.
std::optional<reason_code> disconnect_code(mqtt_client& c) {
  auto d = c.expect<mqtt::disconnect_packet>(3s);
  if (!d) return std::nullopt;
  return d->code;
}
}  // namespace

TEST_CASE("mqtt.max_clientid_len: a longer client id is refused with 0x85") {
  broker_under_test broker("limit_clientid", {"EMQX_CPP_MQTT__MAX_CLIENTID_LEN=23"});
  mqtt_client ok(host, broker.port());
  auto a = connect_v5(ok, std::string(23, 'a'));
  REQUIRE(a);
  CHECK(a->code == reason_code::success);
  mqtt_client too_long(host, broker.port());
  auto b = connect_v5(too_long, std::string(24, 'b'));
  REQUIRE(b);
  CHECK(b->code == reason_code::client_identifier_not_valid);
}

TEST_CASE("mqtt.max_topic_levels: deeper topics and filters are refused") {
  broker_under_test broker("limit_levels", {"EMQX_CPP_MQTT__MAX_TOPIC_LEVELS=3"});
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("levels"));
  CHECK(subscribe_code(c, "a/b/c") == reason_code::granted_qos_1);
  CHECK(subscribe_code(c, "a/b/c/d", 1, 2) == reason_code::topic_filter_invalid);
  REQUIRE(c.publish("a/b/c/d", "deep", 0));
  CHECK(disconnect_code(c) == reason_code::topic_name_invalid);
}

TEST_CASE("mqtt.max_qos_allowed: CONNACK says Maximum QoS and QoS 2 is refused") {
  broker_under_test broker("limit_qos", {"EMQX_CPP_MQTT__MAX_QOS_ALLOWED=1"});
  mqtt_client c(host, broker.port());
  auto ack = connect_v5(c, "qos-limited");
  REQUIRE(ack);
  CHECK(ack->props.maximum_qos == 1);
  mqtt::publish_packet p;
  p.topic = "q/2";
  p.qos = 2;
  p.packet_id = 1;
  REQUIRE(c.send(p));
  CHECK(disconnect_code(c) == reason_code::qos_not_supported);
}

TEST_CASE("mqtt.retain_available: CONNACK says Retain Available 0 and a retained PUBLISH ends") {
  broker_under_test broker("limit_retain", {"EMQX_CPP_MQTT__RETAIN_AVAILABLE=false"});
  mqtt_client c(host, broker.port());
  auto ack = connect_v5(c, "no-retain");
  REQUIRE(ack);
  CHECK(ack->props.retain_available == 0);
  REQUIRE(c.publish("r/t", "kept?", 0, true));
  CHECK(disconnect_code(c) == reason_code::retain_not_supported);
}

TEST_CASE("mqtt.wildcard_subscription and mqtt.shared_subscription off: SUBACK refuses") {
  broker_under_test broker("limit_wildcards", {"EMQX_CPP_MQTT__WILDCARD_SUBSCRIPTION=false",
                                               "EMQX_CPP_MQTT__SHARED_SUBSCRIPTION=false"});
  mqtt_client c(host, broker.port());
  auto ack = connect_v5(c, "plain-only");
  REQUIRE(ack);
  CHECK(ack->props.wildcard_subscription_available == 0);
  CHECK(ack->props.shared_subscription_available == 0);
  CHECK(subscribe_code(c, "w/+") == reason_code::wildcard_subscriptions_not_supported);
  CHECK(subscribe_code(c, "$share/g/t", 1, 2) == reason_code::shared_subscriptions_not_supported);
  CHECK(subscribe_code(c, "plain/t", 1, 3) == reason_code::granted_qos_1);
}

TEST_CASE("mqtt.shared_subscription_strategy = sticky: one member gets every message") {
  broker_under_test broker("strategy_sticky",
                           {"EMQX_CPP_MQTT__SHARED_SUBSCRIPTION_STRATEGY=sticky"});
  mqtt_client a(host, broker.port());
  REQUIRE(a.connect("sticky-a"));
  REQUIRE(a.subscribe("$share/g/st/t", 0));
  mqtt_client b(host, broker.port());
  REQUIRE(b.connect("sticky-b"));
  REQUIRE(b.subscribe("$share/g/st/t", 0));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("sticky-pub"));
  for (int i = 0; i < 10; ++i)
    REQUIRE(pub.publish("st/t", std::to_string(i), 1, false, static_cast<std::uint16_t>(i + 1)));
  auto count = [](mqtt_client& c) {
    int n = 0;
    while (c.expect<mqtt::publish_packet>(500ms))
      ++n;
    return n;
  };
  const int na = count(a);
  const int nb = count(b);
  CHECK(na + nb == 10);
  CHECK((na == 10 || nb == 10));  // round_robin, the default, would split them
}

TEST_CASE("mqtt.ignore_loop_deliver: an MQTT 3.1.1 client does not get its own messages") {
  broker_under_test broker("ignore_loop", {"EMQX_CPP_MQTT__IGNORE_LOOP_DELIVER=true"});
  mqtt_client self(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(self.connect("loop-self"));
  REQUIRE(self.subscribe("loop/t", 0));
  mqtt_client other(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(other.connect("loop-other"));
  REQUIRE(other.subscribe("loop/t", 0));
  REQUIRE(self.publish("loop/t", "mine", 0));
  CHECK(other.expect<mqtt::publish_packet>());
  CHECK_FALSE(self.expect<mqtt::publish_packet>(700ms));
}

TEST_CASE("mqtt.strict_mode = false: a topic that is not valid UTF-8 is accepted") {
  for (const bool strict : {true, false}) {
    CAPTURE(strict);
    broker_under_test broker(
        strict ? "strict_on" : "strict_off",
        {std::string("EMQX_CPP_MQTT__STRICT_MODE=") + (strict ? "true" : "false")});
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("lax-pub"));
    mqtt::publish_packet p;
    p.topic = "lax/\xff";
    p.qos = 1;
    p.packet_id = 1;
    REQUIRE(pub.send(p));
    if (strict) {
      CHECK(disconnect_code(pub) == reason_code::malformed_packet);
    } else {
      auto ack = pub.expect<mqtt::ack_packet>();  // taken and routed (to nobody)
      REQUIRE(ack);
      CHECK(ack->code == reason_code::no_matching_subscribers);
    }
  }
}

TEST_CASE("mqtt.response_information and mqtt.server_keepalive reach MQTT 5 clients") {
  broker_under_test broker("connack_props", {"EMQX_CPP_MQTT__RESPONSE_INFORMATION=replies/",
                                             "EMQX_CPP_MQTT__SERVER_KEEPALIVE=7"});
  mqtt_client c(host, broker.port());
  mqtt::connect_packet cp;
  cp.client_id = "asks";
  cp.keep_alive = 60;
  cp.props.request_response_information = 1;
  auto ack = c.connect(cp);
  REQUIRE(ack);
  CHECK(ack->props.response_information == "replies/");
  CHECK(ack->props.server_keep_alive == 7);
}

TEST_CASE("mqtt.keepalive_multiplier: a silent client is closed after keepalive times it") {
  broker_under_test broker("keepalive_x3", {"EMQX_CPP_MQTT__KEEPALIVE_MULTIPLIER=3"});
  mqtt_client c(host, broker.port());
  REQUIRE(connect_v5(c, "slow-talker", 1));
  // 1.5 x 1 s (the default factor) passes without a close; 3 x 1 s does not.
  CHECK_FALSE(c.closed_within(2000ms));
  auto d = c.expect<mqtt::disconnect_packet>(3s);
  REQUIRE(d);
  CHECK(d->code == reason_code::keep_alive_timeout);
}

TEST_CASE("mqtt.use_username_as_clientid: two ids with one user name are one client") {
  broker_under_test broker("username_as_id", {"EMQX_CPP_MQTT__USE_USERNAME_AS_CLIENTID=true"});
  mqtt_client first(host, broker.port());
  mqtt::connect_packet cp;
  cp.client_id = "device-1";
  cp.username = "alice";
  REQUIRE(first.connect(cp));
  mqtt_client second(host, broker.port());
  cp.client_id = "device-2";
  REQUIRE(second.connect(cp));
  // Both became "alice": the second takes the first over.
  CHECK(disconnect_code(first) == reason_code::session_taken_over);
}

TEST_CASE("mqtt.max_subscriptions: one more subscription gets 0x97") {
  broker_under_test broker("limit_subscriptions", {"EMQX_CPP_MQTT__MAX_SUBSCRIPTIONS=2"});
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("collector"));
  CHECK(subscribe_code(c, "s/1", 1, 1) == reason_code::granted_qos_1);
  CHECK(subscribe_code(c, "s/2", 1, 2) == reason_code::granted_qos_1);
  CHECK(subscribe_code(c, "s/3", 1, 3) == reason_code::quota_exceeded);
  CHECK(subscribe_code(c, "s/1", 0, 4) == reason_code::success);  // a renewal is fine
}

TEST_CASE("mqtt.upgrade_qos: a QoS 0 subscription gets QoS 1 messages at QoS 1") {
  broker_under_test broker("upgrade_qos", {"EMQX_CPP_MQTT__UPGRADE_QOS=true"});
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("upgraded"));
  REQUIRE(sub.subscribe("up/t", 0));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("up-pub"));
  REQUIRE(pub.publish("up/t", "qos1", 1));
  auto got = sub.expect<mqtt::publish_packet>();
  REQUIRE(got);
  CHECK(got->qos == 1);
}

TEST_CASE("mqtt.allow_anonymous = false with no authenticator refuses every client") {
  broker_under_test broker("no_anonymous", {"EMQX_CPP_MQTT__ALLOW_ANONYMOUS=false"});
  mqtt_client c(host, broker.port());
  auto ack = connect_v5(c, "anyone");
  REQUIRE(ack);
  CHECK(ack->code == reason_code::not_authorized);
}

TEST_CASE("mqtt.max_topic_alias_outbound = 0: the broker assigns no topic aliases") {
  for (const bool aliases : {true, false}) {
    CAPTURE(aliases);
    std::vector<std::string> env;
    if (!aliases) env.push_back("EMQX_CPP_MQTT__MAX_TOPIC_ALIAS_OUTBOUND=0");
    broker_under_test broker(aliases ? "alias_out_on" : "alias_out_off", env);
    mqtt_client sub(host, broker.port());
    mqtt::connect_packet cp;
    cp.client_id = "alias-sub";
    cp.props.topic_alias_maximum = 10;
    REQUIRE(sub.connect(cp));
    REQUIRE(sub.subscribe("al/t", 0));
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("alias-pub"));
    REQUIRE(pub.publish("al/t", "one", 0));
    auto got = sub.expect<mqtt::publish_packet>();
    REQUIRE(got);
    CHECK((got->props && got->props->topic_alias.has_value()) == aliases);
  }
}

TEST_CASE("mqtt.max_inflight: Receive Maximum in CONNACK and the window toward the client") {
  broker_under_test broker("limit_inflight", {"EMQX_CPP_MQTT__MAX_INFLIGHT=2"});
  mqtt_client sub(host, broker.port());
  auto ack = connect_v5(sub, "window");
  REQUIRE(ack);
  CHECK(ack->props.receive_maximum == 2);
  REQUIRE(sub.subscribe("win/t", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("window-pub"));
  for (int i = 0; i < 5; ++i)
    REQUIRE(pub.publish("win/t", std::to_string(i), 1, false, static_cast<std::uint16_t>(i + 1)));
  std::vector<mqtt::publish_packet> got;
  while (auto p = sub.expect<mqtt::publish_packet>(700ms))
    got.push_back(std::move(*p));
  CHECK(got.size() == 2);  // the rest waits for acknowledgements
  mqtt::ack_packet a;
  a.packet_id = got.front().packet_id;
  REQUIRE(sub.send(a));
  auto third = sub.expect<mqtt::publish_packet>();
  REQUIRE(third);
  CHECK(third->payload == "2");
}

TEST_CASE("mqtt.max_awaiting_rel: an MQTT 3.1.1 client with too many QoS 2 ids is closed") {
  broker_under_test broker("limit_awaiting_rel", {"EMQX_CPP_MQTT__MAX_AWAITING_REL=2"});
  mqtt_client c(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(c.connect("rel-hoarder"));
  for (std::uint16_t id = 1; id <= 2; ++id) {
    mqtt::publish_packet p;
    p.topic = "rel/t";
    p.qos = 2;
    p.packet_id = id;
    REQUIRE(c.send(p));
    REQUIRE(c.expect<mqtt::ack_packet>());  // PUBREC; no PUBREL follows
  }
  mqtt::publish_packet p;
  p.topic = "rel/t";
  p.qos = 2;
  p.packet_id = 3;
  REQUIRE(c.send(p));
  CHECK(c.closed_within(3s));
}
