// SPDX-License-Identifier: Apache-2.0
//
// The auto_subscribe plugin loaded from its .so into the real broker: a client that
// connects is subscribed to the configured filters, placeholders filled, with no
// SUBSCRIBE of its own, and receives what is published there right after its CONNACK.
#include <doctest/doctest.h>

#include "plugins/plugin_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
constexpr const char* host = "127.0.0.1";

constexpr const char* topics = R"([plugins.auto_subscribe]
topics = [
  { topic = "cmd/${clientid}", qos = 1 },
  { topic = "users/${username}/#" },
]
)";
}  // namespace

TEST_CASE("auto_subscribe subscribes a connecting client to its filters") {
  plugins_broker b("auto_subscribe", R"("auto_subscribe")", topics);
  CHECK(b.log().find("auto_subscribe ready: 2 topics") != std::string::npos);

  mqtt_client dev(host, b.port());
  mqtt::connect_packet c;
  c.client_id = "auto-dev";
  c.username = "alice";
  auto ack = dev.connect(c);
  REQUIRE(ack);
  REQUIRE(ack->code == mqtt::reason_code::success);
  std::this_thread::sleep_for(300ms);  // the subscription is made after the CONNACK

  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("auto-pub"));
  REQUIRE(pub.publish("cmd/auto-dev", "hello", 1, false, 1));
  auto got = dev.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "cmd/auto-dev");
  CHECK(got->payload == "hello");
  CHECK(got->qos == 1);  // the configured QoS, not 0
  REQUIRE(pub.publish("users/alice/news", "for alice", 1, false, 2));
  got = dev.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "users/alice/news");
  CHECK(got->qos == 0);

  // A client without a username gets cmd/<id> only; users/${username}/# is skipped.
  mqtt_client anon(host, b.port());
  REQUIRE(anon.connect("auto-anon"));
  std::this_thread::sleep_for(300ms);
  REQUIRE(pub.publish("cmd/auto-anon", "hi", 1, false, 3));
  got = anon.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "cmd/auto-anon");
  CHECK(eventually([&] {
    return b.log().find("not subscribing client auto-anon to \"users/${username}/#\"") !=
           std::string::npos;
  }));
  // Neither client subscribed to the other's command topic.
  CHECK_FALSE(dev.expect<mqtt::publish_packet>(300ms));
}
