// SPDX-License-Identifier: Apache-2.0
//
// An exception that escapes the broker's own code on a worker (a timer, a delivery from
// this or another worker, the end-of-iteration flush, an asynchronous hook answer, the
// plugin bridge) closes the one client involved and nothing else. The test build
// compiles fault-injection sites that throw for a client whose id names them
// (kernel/broker/fault_injection.hpp).
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <string_view>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
constexpr int workers = 2;

// The worker that owns a client id, as the broker computes it (broker::owner_of).
int owner_of(const std::string& client_id) {
  return static_cast<int>(std::hash<std::string_view>{}(client_id) % workers);
}

// A publisher id that lives on worker `w`.
std::string publisher_on(int w) {
  for (int i = 0;; ++i) {
    std::string id = "pub-" + std::to_string(i);
    if (owner_of(id) == w) return id;
  }
}

struct witness {
  explicit witness(int port) : sub("127.0.0.1", port), pub("127.0.0.1", port) {
    REQUIRE(sub.connect("witness-sub"));
    REQUIRE(sub.subscribe("w/#", 1));
    REQUIRE(pub.connect("witness-pub"));
  }
  // The broker still routes, acknowledges and answers for the other clients.
  void still_served() {
    CHECK(sub.ping());
    ++n;
    REQUIRE(
        pub.publish("w/" + std::to_string(n), "alive", 1, false, static_cast<std::uint16_t>(n)));
    auto got = sub.expect<mqtt::publish_packet>(5s);
    REQUIRE(got);
    CHECK(got->payload == "alive");
  }
  mqtt_client sub;
  mqtt_client pub;
  int n = 0;
};

// A v5 victim gets DISCONNECT 0x83 and the connection closes.
void expect_failed(mqtt_client& victim) {
  auto d = victim.expect<mqtt::disconnect_packet>(10s);
  REQUIRE(d);
  CHECK(d->code == reason_code::implementation_specific_error);
  CHECK(victim.closed_within(5s));
}
}  // namespace

TEST_CASE("an exception in a timer, a delivery, a flush, an answer or a hook closes one client") {
  fixture_broker b("containment", "fx_access,fx_crashy",
                   {"EMQX_CPP_NODE__WORKER_THREADS=" + std::to_string(workers)});
  witness w(b.port());

  SUBCASE("delivery on the subscriber's own worker and from the other worker") {
    for (int from = 0; from < workers; ++from) {
      const std::string id = "victim-" + std::to_string(from) + "@fault:deliver";
      mqtt_client victim("127.0.0.1", b.port());
      REQUIRE(victim.connect(id));
      REQUIRE(victim.subscribe("d/#", 1));
      mqtt_client pub("127.0.0.1", b.port());
      REQUIRE(pub.connect(publisher_on((owner_of(id) + from) % workers)));
      REQUIRE(pub.publish("d/1", "boom", 1));
      expect_failed(victim);
      CHECK(pub.ping());
      w.still_served();
    }
    CHECK(b.broker->log().find("handler_crash where=deliver client=victim-0@fault:deliver") !=
          std::string::npos);
  }
  SUBCASE("the keepalive timer") {
    mqtt_client victim("127.0.0.1", b.port());
    REQUIRE(victim.connect("victim@fault:timer", true, 1));
    expect_failed(victim);
    w.still_served();
  }
  SUBCASE("an asynchronous hook answer") {
    mqtt_client victim("127.0.0.1", b.port());
    REQUIRE(victim.connect("victim@fault:answer"));
    REQUIRE(victim.publish("slowdeny/x", "waits for fx_access", 0));
    expect_failed(victim);
    w.still_served();
  }
  SUBCASE("the message.publish chain (plugin bridge)") {
    mqtt_client victim("127.0.0.1", b.port());
    REQUIRE(victim.connect("victim@fault:hooks"));
    REQUIRE(victim.publish("h/1", "boom", 0));
    expect_failed(victim);
    w.still_served();
  }
  SUBCASE("the end-of-iteration flush") {
    // Writing its first output (the CONNACK) fails: the connection is closed.
    mqtt_client victim("127.0.0.1", b.port());
    mqtt::connect_packet cp;
    cp.client_id = "victim@fault:flush";
    victim.connect(cp, 5s);
    CHECK(victim.closed_within(5s));
    CHECK(eventually([&] {
      return b.broker->log().find("handler_crash where=flush client=victim@fault:flush") !=
             std::string::npos;
    }));
    w.still_served();
  }
  CHECK(b.serves());
}
