// SPDX-License-Identifier: Apache-2.0
//
// authorization.cache: fx_authz logs every client.authorize call it gets, so the tests
// count how often the chain is asked for the same publish.
#include <doctest/doctest.h>

#include <thread>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
// How many times the chain was asked about `topic` for a publish by `client`.
int asked(const fixture_broker& b, const std::string& client, const std::string& topic) {
  const std::string line = "authorize client=" + client + " action=1 topic=" + topic + " end";
  const std::string log = b.broker->log();
  int n = 0;
  for (auto at = log.find(line); at != std::string::npos; at = log.find(line, at + 1))
    ++n;
  return n;
}

void publish_n(mqtt_client& c, const std::string& topic, int n) {
  for (int i = 0; i < n; ++i)
    REQUIRE(c.publish(topic, "x", 1, false, static_cast<std::uint16_t>(i + 1)));
}
}  // namespace

TEST_CASE("authorization.cache: one question per topic, for allow and deny alike") {
  fixture_broker b("authz_cache", "fx_authz");
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("cached"));
  publish_n(c, "c/1", 5);
  CHECK(asked(b, "cached", "c/1") == 1);
  for (std::uint16_t id = 1; id <= 3; ++id) {
    mqtt::publish_packet p;
    p.topic = "deny/x";
    p.qos = 1;
    p.packet_id = id;
    REQUIRE(c.send(p));
    auto ack = c.expect<mqtt::ack_packet>();
    REQUIRE(ack);
    CHECK(ack->code == reason_code::not_authorized);  // the cached answer is a deny too
  }
  CHECK(asked(b, "cached", "deny/x") == 1);

  // Cleared for everyone (api_authz_cache_clear with no client), or for one client.
  REQUIRE(c.publish("clear/all", "x", 1));
  publish_n(c, "c/1", 2);
  CHECK(asked(b, "cached", "c/1") == 2);
  REQUIRE(c.publish("clear/me", "x", 1));
  std::this_thread::sleep_for(100ms);  // the clear travels to the client's worker
  publish_n(c, "c/1", 2);
  CHECK(asked(b, "cached", "c/1") == 3);

  // A reloaded authorization plugin empties every cache.
  REQUIRE(b.ctl({"plugins", "reload", "fx_authz"}).first == 0);
  publish_n(c, "c/1", 2);
  CHECK(asked(b, "cached", "c/1") == 4);
}

TEST_CASE("authorization.cache.enable = false: the chain is asked every time") {
  fixture_broker b("authz_cache_off", "fx_authz", {"EMQX_CPP_AUTHORIZATION__CACHE__ENABLE=false"});
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("uncached"));
  publish_n(c, "c/1", 5);
  CHECK(asked(b, "uncached", "c/1") == 5);
}

TEST_CASE("authorization.cache.ttl and max_size: old and pushed-out decisions are asked again") {
  fixture_broker b(
      "authz_cache_limits", "fx_authz",
      {"EMQX_CPP_AUTHORIZATION__CACHE__TTL=1s", "EMQX_CPP_AUTHORIZATION__CACHE__MAX_SIZE=2"});
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("limited"));
  publish_n(c, "t/a", 2);
  CHECK(asked(b, "limited", "t/a") == 1);
  std::this_thread::sleep_for(1200ms);
  publish_n(c, "t/a", 1);
  CHECK(asked(b, "limited", "t/a") == 2);  // expired
  publish_n(c, "t/b", 1);
  publish_n(c, "t/c", 1);  // the cache holds two: t/a gives way
  publish_n(c, "t/a", 1);
  CHECK(asked(b, "limited", "t/a") == 3);
  publish_n(c, "t/a", 1);
  CHECK(asked(b, "limited", "t/a") == 3);
}
