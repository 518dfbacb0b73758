// SPDX-License-Identifier: Apache-2.0
//
// The delayed_publish plugin loaded from its .so into the real broker: a message sent to
// $delayed/2/<topic> reaches <topic>'s subscribers two seconds later and never appears
// under $delayed/..., $delayed/0/<topic> is published at once, a malformed one is
// dropped, a topic_rewrite rule can delay a message, and an unload loses what is held.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include "plugins/plugin_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
constexpr const char* host = "127.0.0.1";
constexpr const char* table = "[plugins.delayed_publish]\nmax_delayed_messages = 100\n";
}  // namespace

TEST_CASE("delayed_publish holds a message to $delayed/2/... for two seconds") {
  plugins_broker b("delayed_two_seconds", R"("delayed_publish")", table);
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("dl-sub"));
  REQUIRE(sub.subscribe("later/t", 1));
  mqtt_client spy(host, b.port());
  REQUIRE(spy.connect("dl-spy"));
  REQUIRE(spy.subscribe("$delayed/#", 1));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("dl-pub"));

  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(pub.publish("$delayed/2/later/t", "two seconds", 1));  // PUBACKed at once
  auto got = sub.expect<mqtt::publish_packet>(4s);
  const auto waited = std::chrono::steady_clock::now() - sent;
  REQUIRE(got);
  CHECK(got->topic == "later/t");
  CHECK(got->payload == "two seconds");
  CHECK(got->qos == 1);
  CHECK(waited >= 1800ms);
  CHECK(waited < 4s);
  CHECK_FALSE(spy.expect<mqtt::publish_packet>(200ms));
}

TEST_CASE("delayed_publish publishes $delayed/0/... at once and drops a malformed one") {
  plugins_broker b("delayed_zero", R"("delayed_publish")", table);
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("dz-sub"));
  REQUIRE(sub.subscribe("now/#", 0));
  REQUIRE(sub.subscribe("$delayed/#", 0, 2));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("dz-pub"));

  REQUIRE(pub.publish("$delayed/abc/now/bad", "malformed", 1, false, 1));
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(pub.publish("$delayed/0/now/t", "immediately", 1, false, 2));
  auto got = sub.expect<mqtt::publish_packet>(2s);
  REQUIRE(got);
  CHECK(std::chrono::steady_clock::now() - sent < 1s);
  CHECK(got->topic == "now/t");
  CHECK(got->payload == "immediately");
  // Neither the malformed message nor the $delayed original reached anyone.
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(300ms));
  CHECK(b.log().find("dropped \"$delayed/abc/now/bad\": invalid_interval") != std::string::npos);
}

TEST_CASE("a topic_rewrite rule into $delayed/1/... delays a device's message") {
  // topic_rewrite runs at 980 and delayed_publish at 860: the rewritten topic is delayed.
  // The target is outside report/#: the delayed message passes the rules again, and one
  // that matched again would be delayed again, forever (as in EMQX).
  plugins_broker b("delayed_by_rewrite", R"("topic_rewrite", "delayed_publish")",
                   std::string{table} + R"(
[plugins.topic_rewrite]
rules = [
  { action = "publish", source_topic = "report/#", re = '^(report/.+)$', dest_topic = "$delayed/1/late/$1" },
]
)");
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("dr-sub"));
  REQUIRE(sub.subscribe("late/report/#", 1));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("dr-pub"));
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(pub.publish("report/temp", "21.5", 1));
  auto got = sub.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(std::chrono::steady_clock::now() - sent >= 800ms);
  CHECK(got->topic == "late/report/temp");
  CHECK(got->payload == "21.5");
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(300ms));
}

TEST_CASE("unloading delayed_publish loses what it holds, says so, and the broker serves on") {
  plugins_broker b("delayed_unload", R"("delayed_publish")", table);
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("du-sub"));
  REQUIRE(sub.subscribe("gone/t", 1));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("du-pub"));
  REQUIRE(pub.publish("$delayed/2/gone/t", "never", 1));  // held once PUBACKed

  const std::string err = b.dir + "/ctl.err";
  child_process ctl(
      BROKER_BINARY,
      {"ctl", "--socket", b.dir + "/data/ctl.sock", "plugins", "unload", "delayed_publish"}, err);
  while (ctl.read_line(5s)) {
  }
  const auto status = ctl.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(eventually([&] {
    return b.log().find("1 delayed messages were still waiting and are lost") != std::string::npos;
  }));
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(2500ms));
  CHECK(sub.ping());
  CHECK(pub.ping());
}
