// SPDX-License-Identifier: Apache-2.0
//
// EMQX's two drop hooks: message.dropped when a whole message goes nowhere (no
// subscribers, denied, dropped by a hook, over the receive maximum) and delivery.dropped
// when one subscriber's copy is dropped (queue_full, qos0_msg, expired, too_large,
// no_local), each with EMQX's reason name; message.delivered only for what is sent.
// fx_drops logs every call of the three hooks; fx_access refuses topics under deny/.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
bool logged(const fixture_broker& b, const std::string& line) {
  return eventually([&] { return b.broker->log().find(line) != std::string::npos; }, 5s);
}

mqtt::subscribe_packet subscription(const std::string& filter, bool no_local = false) {
  mqtt::subscribe_packet s;
  s.packet_id = 1;
  s.entries.push_back({filter, {1, no_local, false, 0}});
  return s;
}
}  // namespace

TEST_CASE("message.dropped and delivery.dropped carry EMQX's reasons") {
  fixture_broker b("drop_hooks", "fx_access,fx_drops",
                   {"EMQX_CPP_MQTT__MAX_MQUEUE_LEN=1", "EMQX_CPP_MQTT__MQUEUE_STORE_QOS0=false"});
  mqtt_client pub("127.0.0.1", b.port());
  REQUIRE(pub.connect("drop-pub"));

  SUBCASE("whole messages: no subscribers, not authorized") {
    REQUIRE(pub.publish("nobody/home", "x", 1));
    CHECK(logged(b, "seen hook=message.dropped reason=no_subscribers topic=nobody/home"));
    REQUIRE(pub.publish("deny/x", "x", 1));
    CHECK(logged(b, "seen hook=message.dropped reason=not_authorized topic=deny/x"));
  }

  SUBCASE("an offline session's copies: queue_full, qos0_msg, expired") {
    mqtt::connect_packet cp;
    cp.client_id = "offline-sub";
    cp.clean_start = false;
    cp.props.session_expiry_interval = 300;
    {
      mqtt_client sub("127.0.0.1", b.port());
      REQUIRE(sub.connect(cp));
      REQUIRE(sub.send(subscription("q/#")));
      REQUIRE(sub.expect<mqtt::suback_packet>());
      REQUIRE(sub.send(mqtt::disconnect_packet{}));
    }
    std::this_thread::sleep_for(200ms);
    REQUIRE(pub.publish("q/1", "a", 1, false, 1));
    REQUIRE(pub.publish("q/2", "b", 1, false, 2));  // max_mqueue_len 1: q/1 gives way
    CHECK(logged(b, "seen hook=delivery.dropped reason=queue_full topic=q/1 client=offline-sub"));
    REQUIRE(pub.publish("q/0", "c", 0));  // QoS 0 is not queued (mqueue_store_qos0 false)
    CHECK(logged(b, "seen hook=delivery.dropped reason=qos0_msg topic=q/0 client=offline-sub"));
    mqtt::publish_packet p;
    p.topic = "q/3";
    p.payload = "expires";
    p.qos = 1;
    p.packet_id = 3;
    p.props = std::make_unique<mqtt::properties>();
    p.props->message_expiry_interval = 1;
    REQUIRE(pub.send(p));
    REQUIRE(pub.expect<mqtt::ack_packet>());
    std::this_thread::sleep_for(1500ms);
    mqtt_client back("127.0.0.1", b.port());
    auto ack = back.connect(cp);
    REQUIRE(ack);
    CHECK(ack->session_present);
    CHECK(logged(b, "seen hook=delivery.dropped reason=expired topic=q/3 client=offline-sub"));
    CHECK_FALSE(back.expect<mqtt::publish_packet>(500ms));
  }

  SUBCASE("a connected client's copies: no_local and too_large; delivered only when sent") {
    mqtt_client own("127.0.0.1", b.port());
    REQUIRE(own.connect("no-local-client"));
    REQUIRE(own.send(subscription("nl/#", true)));
    REQUIRE(own.expect<mqtt::suback_packet>());
    REQUIRE(own.publish("nl/1", "mine", 1));
    CHECK(
        logged(b, "seen hook=delivery.dropped reason=no_local topic=nl/1 client=no-local-client"));

    mqtt_client small("127.0.0.1", b.port());
    mqtt::connect_packet cp;
    cp.client_id = "small-client";
    cp.props.maximum_packet_size = 64;
    REQUIRE(small.connect(cp));
    REQUIRE(small.send(subscription("big/#")));
    REQUIRE(small.expect<mqtt::suback_packet>());
    REQUIRE(pub.publish("big/1", std::string(200, 'x'), 1));
    CHECK(logged(b, "seen hook=delivery.dropped reason=too_large topic=big/1 client=small-client"));
    REQUIRE(pub.publish("big/2", "fits", 1));
    auto got = small.expect<mqtt::publish_packet>(5s);
    REQUIRE(got);
    CHECK(got->topic == "big/2");
    CHECK(logged(b, "seen hook=message.delivered reason=- topic=big/2 client=small-client"));
    // ABI 1.1 facts in every event: the worker, the listener's type.
    CHECK(logged(b, "topic=big/2 client=small-client worker="));
    CHECK(logged(b, "listener_type=tcp"));
    CHECK(b.broker->log().find("seen hook=message.delivered reason=- topic=big/1") ==
          std::string::npos);
  }
}
