// SPDX-License-Identifier: Apache-2.0
//
// Access hooks under pressure: one SUBSCRIBE or UNSUBSCRIBE with 80,000 filters while a
// synchronous (fx_access) or an asynchronous (fx_instant) authorizer is loaded, and an
// asynchronous answer that arrives before its hook has even returned.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
constexpr std::size_t many = 80000;

// "m/<i>", with every 1000th filter under deny/ (which both fixtures refuse).
std::string filter_at(std::size_t i) {
  return (i % 1000 == 999 ? "deny/" : "m/") + std::to_string(i);
}

void subscribe_and_unsubscribe_many(fixture_broker& b) {
  mqtt_client witness("127.0.0.1", b.port());
  REQUIRE(witness.connect("witness"));
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("many-filters"));

  mqtt::subscribe_packet s;
  s.packet_id = 7;
  for (std::size_t i = 0; i < many; ++i)
    s.entries.push_back({filter_at(i), {1, false, false, 0}});
  REQUIRE(c.send(s));
  // The broker goes on serving its other clients while it works through the filters.
  CHECK(witness.ping(10s));
  auto suback = c.expect<mqtt::suback_packet>(120s);
  REQUIRE(suback);
  CHECK(suback->packet_id == 7);
  REQUIRE(suback->codes.size() == many);
  std::size_t granted = 0;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < many; ++i) {
    const auto want = i % 1000 == 999 ? reason_code::not_authorized : reason_code::granted_qos_1;
    if (suback->codes[i] == want) (want == reason_code::granted_qos_1 ? granted : refused)++;
  }
  CHECK(granted == many - many / 1000);
  CHECK(refused == many / 1000);

  // The subscriptions work: a message to one of them arrives.
  mqtt_client pub("127.0.0.1", b.port());
  REQUIRE(pub.connect("many-pub"));
  REQUIRE(pub.publish("m/4242", "found", 1));
  auto got = c.expect<mqtt::publish_packet>(10s);
  REQUIRE(got);
  CHECK(got->topic == "m/4242");

  mqtt::unsubscribe_packet u;
  u.packet_id = 8;
  for (std::size_t i = 0; i < many; ++i)
    u.filters.push_back(filter_at(i));
  REQUIRE(c.send(u));
  auto unsuback = c.expect<mqtt::unsuback_packet>(120s);
  REQUIRE(unsuback);
  REQUIRE(unsuback->codes.size() == many);
  std::size_t removed = 0;
  std::size_t absent = 0;
  for (std::size_t i = 0; i < many; ++i) {
    if (unsuback->codes[i] == reason_code::success) ++removed;
    if (unsuback->codes[i] == reason_code::no_subscription_existed) ++absent;
  }
  CHECK(removed == many - many / 1000);
  CHECK(absent == many / 1000);

  CHECK(c.ping());
  CHECK(witness.ping());
  CHECK(b.serves());
}
}  // namespace

TEST_CASE("80,000 filters in one SUBSCRIBE and UNSUBSCRIBE with a synchronous authorizer") {
  fixture_broker b("access_many_sync", "fx_access", {"EMQX_CPP_LOG__LEVEL=info"});
  subscribe_and_unsubscribe_many(b);
}

TEST_CASE("80,000 filters in one SUBSCRIBE and UNSUBSCRIBE with an asynchronous authorizer") {
  fixture_broker b("access_many_async", "fx_instant", {"EMQX_CPP_LOG__LEVEL=info"});
  subscribe_and_unsubscribe_many(b);
}

TEST_CASE("an asynchronous answer given before the hook returns is honoured, not timed out") {
  // fx_instant answers from its own thread and only then returns ECP_HOOK_ASYNC. The
  // long hook timeout shows that the answer, not the timeout, decided.
  fixture_broker b("access_instant", "fx_instant", {"EMQX_CPP_PLUGINS__HOOK_TIMEOUT=30s"});
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("instant"));
  for (std::uint16_t id = 1; id <= 20; ++id) {
    mqtt::publish_packet p;
    p.topic = id % 2 == 0 ? "deny/x" : "fine/x";
    p.qos = 1;
    p.packet_id = id;
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(c.send(p));
    auto ack = c.expect<mqtt::ack_packet>(5s);
    REQUIRE(ack);
    CHECK(ack->packet_id == id);
    // A refusal stays a refusal: a lost answer would time out and count as "ignore".
    CHECK(ack->code ==
          (id % 2 == 0 ? reason_code::not_authorized : reason_code::no_matching_subscribers));
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  CHECK(b.broker->log().find("hook_timeout") == std::string::npos);
}
