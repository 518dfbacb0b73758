// SPDX-License-Identifier: Apache-2.0
//
// The topic_rewrite plugin loaded from its .so into the real broker: a PUBLISH and a
// SUBSCRIBE/UNSUBSCRIBE rewritten by rules from broker.toml, a bad rule stopping start-up
// with the key and the line, and a regular expression that does not compile keeping the
// plugin out while the broker serves.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include "plugins/plugin_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
constexpr const char* host = "127.0.0.1";

constexpr const char* rules = R"([plugins.topic_rewrite]
rules = [
  { action = "publish", source_topic = "old/#", re = '^old/(.+)$', dest_topic = "new/$1" },
  { action = "subscribe", source_topic = "legacy/+", re = '^legacy/(\w+)$', dest_topic = "modern/${clientid}/$1" },
]
)";

// Sends UNSUBSCRIBE for one filter and returns the UNSUBACK's reason code.
std::optional<reason_code> unsubscribe(mqtt_client& c, const std::string& filter,
                                       std::uint16_t packet_id) {
  mqtt::unsubscribe_packet u;
  u.packet_id = packet_id;
  u.filters.push_back(filter);
  if (!c.send(u)) return std::nullopt;
  auto ack = c.expect<mqtt::unsuback_packet>(3s);
  if (!ack || ack->codes.empty()) return std::nullopt;
  return ack->codes.front();
}
}  // namespace

TEST_CASE("topic_rewrite rewrites a PUBLISH topic by a publish rule") {
  plugins_broker b("rewrite_publish", R"("topic_rewrite")", rules);
  CHECK(b.log().find("topic_rewrite ready: 2 rules, 1 for publish, 1 for subscribe") !=
        std::string::npos);
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("rw-sub"));
  REQUIRE(sub.subscribe("new/#", 1));
  REQUIRE(sub.subscribe("old/#", 1, 2));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("rw-pub"));
  REQUIRE(pub.publish("old/a/b", "moved", 1));
  auto got = sub.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "new/a/b");
  CHECK(got->payload == "moved");
  // Only the rewritten topic is routed: old/# sees nothing.
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(300ms));
}

TEST_CASE("topic_rewrite rewrites SUBSCRIBE and UNSUBSCRIBE filters by a subscribe rule") {
  plugins_broker b("rewrite_subscribe", R"("topic_rewrite")", rules);
  mqtt_client dev(host, b.port());
  REQUIRE(dev.connect("dev-9"));
  REQUIRE(dev.subscribe("legacy/cmd", 1));  // really modern/dev-9/cmd
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("rw-pub2"));
  REQUIRE(pub.publish("legacy/cmd", "not routed here", 1, false, 1));
  REQUIRE(pub.publish("modern/dev-9/cmd", "routed", 1, false, 2));
  auto got = dev.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "modern/dev-9/cmd");
  CHECK(got->payload == "routed");
  CHECK_FALSE(dev.expect<mqtt::publish_packet>(300ms));
  // UNSUBSCRIBE legacy/cmd removes the rewritten subscription (0x00, not 0x11).
  CHECK(unsubscribe(dev, "legacy/cmd", 3) == reason_code::success);
  REQUIRE(pub.publish("modern/dev-9/cmd", "after unsubscribe", 1, false, 3));
  CHECK_FALSE(dev.expect<mqtt::publish_packet>(500ms));
}

TEST_CASE("a bad rule in [plugins.topic_rewrite] stops start-up with exit code 2, key and line") {
  const std::string dir = fresh_dir("rewrite_bad_action");
  const std::string config = write_config(dir, R"("topic_rewrite")", R"([plugins.topic_rewrite]
rules = [
  { action = "bogus", source_topic = "a/#", re = '^a/(.+)$', dest_topic = "b/$1" },
]
)");
  // Lines 1-7 are write_config's; the table starts on line 8, so "bogus" is on line 10.
  const std::string err_path = dir + "/stderr.txt";
  child_process p(BROKER_BINARY, {"start", "--config", config}, err_path,
                  {"EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND=127.0.0.1:0",
                   "EMQX_CPP_DASHBOARD__LISTENERS__HTTP__BIND=127.0.0.1:0"});
  while (p.read_line(5s)) {
  }
  const auto status = p.wait_exit(10s);
  REQUIRE(status);
  REQUIRE(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  const std::string err = read_file(err_path);
  CAPTURE(err);
  CHECK(err.find(config + ":10:") != std::string::npos);
  CHECK(err.find("plugins.topic_rewrite.rules.0.action") != std::string::npos);
  CHECK(err.find("must be one of publish, subscribe, all") != std::string::npos);
}

TEST_CASE(
    "a regular expression that does not compile keeps topic_rewrite out, and the broker serves") {
  plugins_broker b("rewrite_bad_regex", R"("topic_rewrite")", R"([plugins.topic_rewrite]
rules = [
  { action = "all", source_topic = "a/#", re = '^a/(.+$', dest_topic = "b/$1" },
]
)");
  CHECK(eventually([&] {
    return b.log().find("plugins.topic_rewrite.rules.0.re: invalid regular expression") !=
           std::string::npos;
  }));
  CHECK(eventually(
      [&] { return b.log().find("on_init failed with status 1") != std::string::npos; }));
  mqtt_client sub(host, b.port());
  REQUIRE(sub.connect("rx-sub"));
  REQUIRE(sub.subscribe("a/#", 0));
  mqtt_client pub(host, b.port());
  REQUIRE(pub.connect("rx-pub"));
  REQUIRE(pub.publish("a/x", "unchanged"));
  auto got = sub.expect<mqtt::publish_packet>(3s);
  REQUIRE(got);
  CHECK(got->topic == "a/x");
}
