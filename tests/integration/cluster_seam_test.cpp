// SPDX-License-Identifier: Apache-2.0
//
// The cluster seam, proven before any real transport exists: two broker processes
// joined by fx_loop (Unix sockets). A subscription on one node becomes a route on the
// other; a PUBLISH there crosses over once and is delivered; an unsubscription takes the
// route away; a node that goes takes its routes with it.
#include <doctest/doctest.h>

#include <filesystem>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
std::vector<std::string> node_env(const std::string& self, const std::string& other,
                                  const std::string& dir) {
  return {"EMQX_CPP_NODE__NAME=" + self + "@localhost",
          "EMQX_CPP_PLUGINS__FX_LOOP__LISTEN=" + dir + "/" + self + ".sock",
          "EMQX_CPP_PLUGINS__FX_LOOP__PEERS=" + other + "@localhost=" + dir + "/" + other + ".sock",
          "EMQX_CPP_LOG__LEVEL=debug"};
}

// QoS 1 publish; the PUBACK's reason code.
reason_code publish_code(mqtt_client& c, const std::string& topic, std::uint16_t id) {
  mqtt::publish_packet p;
  p.topic = topic;
  p.payload = "crossing " + std::to_string(id);
  p.qos = 1;
  p.packet_id = id;
  if (!c.send(p)) return reason_code::unspecified_error;
  auto ack = c.expect<mqtt::ack_packet>();
  return ack ? ack->code : reason_code::unspecified_error;
}
}  // namespace

TEST_CASE("two nodes joined by the loopback transport: route delta and message both cross") {
  const auto dir = std::filesystem::path(TEST_OUTPUT_DIR) / "cluster-seam";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  fixture_broker a("cluster_a", "fx_loop", node_env("a", "b", dir.string()));
  auto b =
      std::make_unique<fixture_broker>("cluster_b", "fx_loop", node_env("b", "a", dir.string()));
  CHECK(eventually([&] {
    return a.broker->log().find("cluster_peer_up node=b@localhost") != std::string::npos;
  }));

  mqtt_client sub("127.0.0.1", b->port());
  REQUIRE(sub.connect("on-b"));
  REQUIRE(sub.subscribe("x/#", 1));
  // The route delta reaches node a.
  REQUIRE(eventually([&] {
    return a.broker->log().find("cluster_route_added node=b@localhost filter=x/#") !=
           std::string::npos;
  }));
  mqtt_client pub("127.0.0.1", a.port());
  REQUIRE(pub.connect("on-a"));
  // Matched a remote route: not "no matching subscribers".
  CHECK(publish_code(pub, "x/1", 1) == reason_code::success);
  auto got = sub.expect<mqtt::publish_packet>(5s);
  REQUIRE(got);
  CHECK(got->topic == "x/1");
  CHECK(got->payload == "crossing 1");
  CHECK(got->qos == 1);
  CHECK_FALSE(sub.expect<mqtt::publish_packet>(500ms));  // once, not once per filter

  // Unsubscribed on b: the route goes away on a.
  mqtt::unsubscribe_packet u;
  u.packet_id = 9;
  u.filters = {"x/#"};
  REQUIRE(sub.send(u));
  REQUIRE(sub.expect<mqtt::unsuback_packet>());
  REQUIRE(eventually([&] {
    return a.broker->log().find("cluster_route_deleted node=b@localhost filter=x/#") !=
           std::string::npos;
  }));
  CHECK(publish_code(pub, "x/2", 2) == reason_code::no_matching_subscribers);

  // A node that goes takes its routes with it; the other serves on.
  REQUIRE(sub.subscribe("y/#", 1, 3));
  REQUIRE(eventually([&] {
    return a.broker->log().find("cluster_route_added node=b@localhost filter=y/#") !=
           std::string::npos;
  }));
  b.reset();
  CHECK(eventually([&] {
    return a.broker->log().find("cluster_peer_down node=b@localhost") != std::string::npos;
  }));
  CHECK(publish_code(pub, "y/1", 4) == reason_code::no_matching_subscribers);
  CHECK(a.serves());
}
