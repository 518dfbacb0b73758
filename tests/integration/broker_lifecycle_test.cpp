// SPDX-License-Identifier: Apache-2.0
//
// The broker as an operator meets it: the command line, configuration errors, the
// listener's connection limit, SIGTERM, $SYS topics and shared subscriptions.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
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

int run_cli(const std::vector<std::string>& args, std::string& out, std::string& err) {
  const std::string err_path = std::string(TEST_OUTPUT_DIR) + "/cli.err";
  child_process p(BROKER_BINARY, args, err_path);
  while (auto l = p.read_line(5s))
    out += *l + "\n";
  auto st = p.wait_exit(10s);
  err = read_file(err_path);
  return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
}
}  // namespace

TEST_CASE("emqx-cpp version and check-config") {
  std::string out, err;
  CHECK(run_cli({"version"}, out, err) == 0);
  CHECK(out.find("emqx-cpp ") == 0);
  const std::string bad = std::string(TEST_OUTPUT_DIR) + "/bad.toml";
  std::ofstream(bad) << "[mqtt]\nmax_inflight = 32\nmax_infligt = 4\n";
  out.clear();
  CHECK(run_cli({"check-config", bad}, out, err) == 2);
  CHECK(err.find("bad.toml:3:") != std::string::npos);
  CHECK(err.find("mqtt.max_infligt") != std::string::npos);
  const std::string good = std::string(TEST_OUTPUT_DIR) + "/good.toml";
  std::ofstream(good) << "[mqtt]\nmax_inflight = 64\n";
  out.clear();
  CHECK(run_cli({"check-config", good}, out, err) == 0);
  CHECK(run_cli({"start", "--config", bad}, out, err) == 2);
  CHECK(run_cli({"frobnicate"}, out, err) == 2);
}

TEST_CASE("SIGTERM: MQTT 5 clients get DISCONNECT 0x8B and the broker exits 0") {
  broker_under_test broker("lifecycle_sigterm");
  mqtt_client v5(host, broker.port());
  REQUIRE(v5.connect("term-v5"));
  mqtt_client v3(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(v3.connect("term-v3"));
  auto status = broker.stop();
  auto d = v5.expect<mqtt::disconnect_packet>(3s);
  REQUIRE(d);
  CHECK(d->code == reason_code::server_shutting_down);
  CHECK(v5.closed_within(3s));
  CHECK_FALSE(v3.receive(200ms).has_value());
  CHECK(v3.closed_within(3s));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("max_connections: the next client gets CONNACK 0x97 (v5) or 0x03 (v3)") {
  broker_under_test broker("lifecycle_max_conn",
                           {"EMQX_CPP_LISTENERS__TCP__DEFAULT__MAX_CONNECTIONS=2"});
  mqtt_client a(host, broker.port());
  REQUIRE(a.connect("mc-a"));
  mqtt_client b(host, broker.port(), protocol_version::v3_1_1);
  REQUIRE(b.connect("mc-b"));
  mqtt_client c(host, broker.port());
  mqtt::connect_packet cp;
  cp.client_id = "mc-c";
  auto ack = c.connect(cp);
  REQUIRE(ack);
  CHECK(ack->code == reason_code::quota_exceeded);
  CHECK(c.closed_within(2s));
  mqtt_client d(host, broker.port(), protocol_version::v3_1_1);
  cp.client_id = "mc-d";
  auto ack3 = d.connect(cp);
  REQUIRE(ack3);
  CHECK(ack3->code == reason_code::server_unavailable);  // return code 3 on the wire
  a.close();                                             // a slot frees up
  std::this_thread::sleep_for(300ms);
  mqtt_client e(host, broker.port());
  CHECK(e.connect("mc-e"));
}

TEST_CASE("$SYS: version and sysdescr retained, uptime and datetime on the heartbeat") {
  broker_under_test broker("lifecycle_sys", {"EMQX_CPP_SYS_TOPICS__SYS_HEARTBEAT_INTERVAL=1s",
                                             "EMQX_CPP_SYS_TOPICS__SYS_MSG_INTERVAL=1s"});
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("sys-reader"));
  std::map<std::string, std::string> seen;
  mqtt::subscribe_packet s;
  s.packet_id = 1;
  s.entries.push_back({"$SYS/brokers/+/version", {0, false, false, 0}});
  s.entries.push_back({"$SYS/brokers/+/sysdescr", {0, false, false, 0}});
  s.entries.push_back({"$SYS/brokers/+/uptime", {0, false, false, 0}});
  s.entries.push_back({"$SYS/brokers/+/datetime", {0, false, false, 0}});
  s.entries.push_back({"$SYS/brokers/+/stats/connections/count", {0, false, false, 0}});
  s.entries.push_back({"$SYS/brokers/+/clients/+/connected", {0, false, false, 0}});
  REQUIRE(c.send(s));
  REQUIRE(c.expect<mqtt::suback_packet>());
  mqtt_client other(host, broker.port());
  REQUIRE(other.connect("sys-event"));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (seen.size() < 6 && std::chrono::steady_clock::now() < deadline) {
    if (auto p = c.expect<mqtt::publish_packet>(1s)) {
      const auto slash = p->topic.find('/', std::string("$SYS/brokers/").size());
      seen[p->topic.substr(slash + 1)] = p->payload;
    }
  }
  CHECK(seen["version"] == "0.1.0");
  CHECK(seen["sysdescr"] == "emqx-cpp");
  CHECK(std::stoll(seen["uptime"]) >= 0);
  CHECK(seen["datetime"].find('T') == 10);
  CHECK(std::stoll(seen["stats/connections/count"]) >= 1);
  CHECK(seen["clients/sys-event/connected"].find("\"clientid\":\"sys-event\"") !=
        std::string::npos);
  // A root wildcard does not match $SYS topics [MQTT-4.7.2-1].
  mqtt_client wild(host, broker.port());
  REQUIRE(wild.connect("wild"));
  REQUIRE(wild.subscribe("#", 0));
  CHECK_FALSE(wild.expect<mqtt::publish_packet>(1500ms));
}

TEST_CASE("shared subscriptions: round robin across members, $queue, and no copy for others") {
  broker_under_test broker("lifecycle_shared");
  mqtt_client a(host, broker.port());
  REQUIRE(a.connect("share-a"));
  REQUIRE(a.subscribe("$share/g/sh/t", 1));
  mqtt_client b(host, broker.port());
  REQUIRE(b.connect("share-b"));
  REQUIRE(b.subscribe("$share/g/sh/t", 1));
  mqtt_client q(host, broker.port());
  REQUIRE(q.connect("queue-q"));
  REQUIRE(q.subscribe("$queue/sh/t", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("share-pub"));
  for (int i = 0; i < 10; ++i)
    REQUIRE(pub.publish("sh/t", std::to_string(i), 1, false, 30 + i));
  auto drain = [](mqtt_client& c) {
    int n = 0;
    while (auto p = c.expect<mqtt::publish_packet>(700ms)) {
      ++n;
      mqtt::ack_packet ack;
      ack.packet_id = p->packet_id;
      c.send(ack);
    }
    return n;
  };
  const int na = drain(a);
  const int nb = drain(b);
  CHECK(na + nb == 10);  // each message to one member of group g
  CHECK(na >= 3);
  CHECK(nb >= 3);
  CHECK(drain(q) == 10);  // $queue is its own group
}

TEST_CASE("shared subscriptions: a member that leaves hands its unacknowledged messages on") {
  broker_under_test broker("lifecycle_shared_redispatch",
                           {"EMQX_CPP_MQTT__SHARED_SUBSCRIPTION_STRATEGY=round_robin"});
  mqtt_client keeper(host, broker.port());
  REQUIRE(keeper.connect("keeper"));
  REQUIRE(keeper.subscribe("$share/rd/x", 1));
  auto leaver = std::make_unique<mqtt_client>(host, broker.port());
  REQUIRE(leaver->connect("leaver"));
  REQUIRE(leaver->subscribe("$share/rd/x", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("rd-pub"));
  for (int i = 0; i < 6; ++i)
    REQUIRE(pub.publish("x", std::to_string(i), 1, false, 40 + i));
  int kept = 0;
  while (auto p = keeper.expect<mqtt::publish_packet>(700ms)) {
    ++kept;
    mqtt::ack_packet ack;
    ack.packet_id = p->packet_id;
    keeper.send(ack);
  }
  int unacked = 0;
  while (leaver->expect<mqtt::publish_packet>(700ms))
    ++unacked;  // never acknowledged
  CHECK(kept + unacked == 6);
  REQUIRE(unacked > 0);
  leaver.reset();  // clean session ends: its in-flight messages go to the keeper
  int handed = 0;
  while (keeper.expect<mqtt::publish_packet>(1500ms))
    ++handed;
  CHECK(handed == unacked);
}
