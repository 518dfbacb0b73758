// SPDX-License-Identifier: Apache-2.0
//
// Publish/subscribe through the real broker with real clients: mosquitto_pub and
// mosquitto_sub (MQTT 3.1.1 and 5.0) for QoS 0/1/2, wildcards and retained messages,
// and the packet-level client for MQTT 5 details.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "support/broker_under_test.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
constexpr const char* host = "127.0.0.1";

// Runs mosquitto_sub in the background until it has `count` messages.
struct subscriber {
  subscriber(int port, const std::string& topic, int count, const std::string& version, int qos = 2)
      : proc("/usr/bin/mosquitto_sub",
             {"-h", host, "-p", std::to_string(port), "-t", topic, "-C", std::to_string(count),
              "-W", "10", "-v", "-q", std::to_string(qos), "-V", version, "-i",
              "sub-" + version + "-" + std::to_string(count)},
             std::string(TEST_OUTPUT_DIR) + "/mosquitto_sub.err") {
    std::this_thread::sleep_for(300ms);  // let it subscribe
  }
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    while (auto l = proc.read_line(10s))
      out.push_back(*l);
    return out;
  }
  child_process proc;
};

int mosquitto_pub(int port, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"-h", host, "-p", std::to_string(port)};
  all.insert(all.end(), args.begin(), args.end());
  child_process pub("/usr/bin/mosquitto_pub", all,
                    std::string(TEST_OUTPUT_DIR) + "/mosquitto_pub.err");
  auto st = pub.wait_exit(10s);
  return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
}
}  // namespace

TEST_CASE("mosquitto clients: QoS 0, 1 and 2 over MQTT 3.1.1 and 5.0, with wildcards") {
  broker_under_test broker("pubsub_qos");
  for (const std::string version : {"mqttv311", "mqttv5"}) {
    CAPTURE(version);
    subscriber sub(broker.port(), "q/+/x", 3, version);
    for (int qos = 0; qos <= 2; ++qos) {
      REQUIRE(mosquitto_pub(broker.port(), {"-t", "q/" + std::to_string(qos) + "/x", "-m",
                                            "m" + std::to_string(qos), "-q", std::to_string(qos),
                                            "-V", version}) == 0);
    }
    const auto got = sub.lines();
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "q/0/x m0");
    CHECK(got[1] == "q/1/x m1");
    CHECK(got[2] == "q/2/x m2");
  }
}

TEST_CASE("retained messages: stored, delivered on subscribe, cleared by an empty payload") {
  broker_under_test broker("pubsub_retained");
  REQUIRE(mosquitto_pub(broker.port(), {"-t", "r/a", "-m", "kept", "-r", "-q", "1"}) == 0);
  REQUIRE(mosquitto_pub(broker.port(), {"-t", "r/b", "-m", "also", "-r", "-q", "0"}) == 0);
  {
    subscriber sub(broker.port(), "r/#", 2, "mqttv5");
    auto got = sub.lines();
    std::sort(got.begin(), got.end());
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "r/a kept");
    CHECK(got[1] == "r/b also");
  }
  REQUIRE(mosquitto_pub(broker.port(), {"-t", "r/a", "-n", "-r"}) == 0);
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("retained-check"));
  REQUIRE(c.subscribe("r/#", 1));
  auto p = c.expect<mqtt::publish_packet>(2s);
  REQUIRE(p);
  CHECK(p->topic == "r/b");
  CHECK(p->retain);  // retained on subscribe carry RETAIN=1 [MQTT-3.3.1-9]
  CHECK_FALSE(c.expect<mqtt::publish_packet>(500ms));
}

TEST_CASE("retain handling 2 sends nothing, 1 only for a new subscription") {
  broker_under_test broker("pubsub_retain_handling");
  REQUIRE(mosquitto_pub(broker.port(), {"-t", "rh/t", "-m", "x", "-r"}) == 0);
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("rh"));
  mqtt::subscribe_packet s;
  s.packet_id = 1;
  s.entries.push_back({"rh/t", {1, false, false, 2}});
  REQUIRE(c.send(s));
  REQUIRE(c.expect<mqtt::suback_packet>());
  CHECK_FALSE(c.expect<mqtt::publish_packet>(500ms));
  s.packet_id = 2;
  s.entries[0].options.retain_handling = 1;  // existing subscription: still nothing
  REQUIRE(c.send(s));
  REQUIRE(c.expect<mqtt::suback_packet>());
  CHECK_FALSE(c.expect<mqtt::publish_packet>(500ms));
  s.packet_id = 3;
  s.entries[0].filter = "rh/+";  // new subscription: the retained message comes
  REQUIRE(c.send(s));
  REQUIRE(c.expect<mqtt::suback_packet>());
  CHECK(c.expect<mqtt::publish_packet>(2s));
}

TEST_CASE("MQTT 5: no local, retain as published, subscription identifiers, user properties") {
  broker_under_test broker("pubsub_v5_options");
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("v5opts"));
  mqtt::subscribe_packet s;
  s.packet_id = 1;
  s.entries.push_back({"v5/nl", {1, true, false, 0}});
  s.entries.push_back({"v5/rap", {1, false, true, 0}});
  s.props.subscription_identifiers.push_back(42);
  REQUIRE(c.send(s));
  auto ack = c.expect<mqtt::suback_packet>();
  REQUIRE(ack);
  REQUIRE(ack->codes.size() == 2);

  mqtt::publish_packet own;
  own.topic = "v5/nl";
  own.payload = "mine";
  REQUIRE(c.send(own));  // no local: not echoed back [MQTT-3.8.3-3]
  CHECK_FALSE(c.expect<mqtt::publish_packet>(500ms));

  mqtt_client other(host, broker.port());
  REQUIRE(other.connect("v5opts-pub"));
  mqtt::publish_packet p;
  p.topic = "v5/rap";
  p.payload = "keep-retain";
  p.retain = true;
  p.props = std::make_unique<mqtt::properties>();
  p.props->user.emplace_back("k", "v");
  p.props->content_type = "text/plain";
  p.props->response_topic = "reply/here";
  p.props->correlation_data = "corr";
  p.props->message_expiry_interval = 100;
  REQUIRE(other.send(p));
  auto got = c.expect<mqtt::publish_packet>(2s);
  REQUIRE(got);
  CHECK(got->retain);  // retain as published
  REQUIRE(got->props);
  CHECK(got->props->subscription_identifiers == std::vector<std::uint32_t>{42});
  CHECK(got->props->user == mqtt::user_properties{{"k", "v"}});
  CHECK(got->props->content_type == "text/plain");
  CHECK(got->props->response_topic == "reply/here");
  CHECK(got->props->correlation_data == "corr");
  REQUIRE(got->props->message_expiry_interval);
  CHECK(*got->props->message_expiry_interval <= 100);
  CHECK(*got->props->message_expiry_interval >= 99);
}

TEST_CASE("MQTT 5: an inbound topic alias is resolved, a bad one ends the connection") {
  broker_under_test broker("pubsub_alias");
  mqtt_client sub(host, broker.port());
  REQUIRE(sub.connect("alias-sub"));
  REQUIRE(sub.subscribe("al/#", 0));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("alias-pub"));
  mqtt::publish_packet p;
  p.topic = "al/one";
  p.payload = "first";
  p.props = std::make_unique<mqtt::properties>();
  p.props->topic_alias = 3;
  REQUIRE(pub.send(p));
  mqtt::publish_packet q;
  q.payload = "second";
  q.props = std::make_unique<mqtt::properties>();
  q.props->topic_alias = 3;
  REQUIRE(pub.send(q));
  auto a = sub.expect<mqtt::publish_packet>();
  auto b = sub.expect<mqtt::publish_packet>();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(b->topic == "al/one");
  CHECK(b->payload == "second");
  mqtt::publish_packet bad;
  bad.payload = "x";
  bad.props = std::make_unique<mqtt::properties>();
  bad.props->topic_alias = 9;  // never set
  REQUIRE(pub.send(bad));
  auto d = pub.expect<mqtt::disconnect_packet>();
  REQUIRE(d);
  CHECK(d->code == mqtt::reason_code::protocol_error);
}

TEST_CASE("MQTT 5: an assigned client identifier comes back in CONNACK") {
  broker_under_test broker("pubsub_assigned_id");
  mqtt_client c(host, broker.port());
  mqtt::connect_packet connect;
  auto ack = c.connect(connect);
  REQUIRE(ack);
  CHECK(ack->code == mqtt::reason_code::success);
  REQUIRE(ack->props.assigned_client_identifier);
  CHECK_FALSE(ack->props.assigned_client_identifier->empty());
  CHECK(ack->props.maximum_packet_size == 1024u * 1024u);
  CHECK(ack->props.topic_alias_maximum == 65535);
}

TEST_CASE("PUBACK says there were no matching subscribers (MQTT 5, as EMQX)") {
  broker_under_test broker("pubsub_no_match");
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("nomatch"));
  mqtt::publish_packet p;
  p.topic = "nobody/listens";
  p.qos = 1;
  p.packet_id = 7;
  REQUIRE(c.send(p));
  auto ack = c.expect<mqtt::ack_packet>();
  REQUIRE(ack);
  CHECK(ack->packet_id == 7);
  CHECK(ack->code == mqtt::reason_code::no_matching_subscribers);
}

TEST_CASE("an IPv6 listener next to the IPv4 one") {
  // Some sandboxes run without IPv6; the test needs ::1 to mean anything.
  const int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool have_v6 = probe >= 0 && bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  if (probe >= 0) close(probe);
  if (!have_v6) {
    WARN_MESSAGE(false, "no IPv6 loopback here; IPv6 listener not tested");
    return;
  }
  broker_under_test broker("pubsub_ipv6", {"EMQX_CPP_LISTENERS__TCP__V6__BIND=[::1]:0"});
  const int v6_port = broker.port_of("v6");
  REQUIRE(v6_port != 0);
  child_process sub("/usr/bin/mosquitto_sub",
                    {"-h", "::1", "-p", std::to_string(v6_port), "-t", "six/#", "-C", "1", "-W",
                     "10", "-v", "-i", "v6-sub"},
                    std::string(TEST_OUTPUT_DIR) + "/mosquitto_sub_v6.err");
  std::this_thread::sleep_for(300ms);
  REQUIRE(mosquitto_pub(broker.port(), {"-t", "six/one", "-m", "via-v4"}) == 0);
  auto line = sub.read_line(10s);
  REQUIRE(line);
  CHECK(*line == "six/one via-v4");
}

TEST_CASE("large payloads reach every subscriber intact, in order with small ones") {
  // Payloads from 4 KiB on leave from the shared message (writev) instead of a copy per
  // subscriber; the bytes, the order and each subscriber's own header must not change.
  broker_under_test broker("pubsub_large_payloads");
  mqtt_client v5(host, broker.port());
  mqtt_client v3(host, broker.port(), mqtt::protocol_version::v3_1_1);
  REQUIRE(v5.connect("large-v5"));
  REQUIRE(v3.connect("large-v3"));
  REQUIRE(v5.subscribe("large/#", 1, 1, 42));
  REQUIRE(v3.subscribe("large/+", 1));
  mqtt_client pub(host, broker.port());
  REQUIRE(pub.connect("large-pub"));
  std::vector<std::string> payloads;
  for (int i = 0; i < 8; ++i) {
    const std::size_t size = i % 2 == 0 ? std::size_t{4096} + 70001 * static_cast<std::size_t>(i)
                                        : std::size_t{10} + static_cast<std::size_t>(i);
    std::string p(size, '\0');
    for (std::size_t k = 0; k < size; ++k)
      p[k] = static_cast<char>('A' + (k * 7 + static_cast<std::size_t>(i)) % 26);
    payloads.push_back(std::move(p));
  }
  payloads.emplace_back(4096, 'x');  // exactly the threshold
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    REQUIRE(pub.publish("large/" + std::to_string(i), payloads[i], 1, false,
                        static_cast<std::uint16_t>(i + 1)));
  }
  for (auto* sub : {&v5, &v3}) {
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      auto m = sub->expect<mqtt::publish_packet>(10s);
      REQUIRE(m);
      CHECK(m->topic == "large/" + std::to_string(i));
      CHECK(m->qos == 1);
      CHECK(m->payload.size() == payloads[i].size());
      CHECK(m->payload == payloads[i]);
      if (sub == &v5) {
        REQUIRE(m->props);
        REQUIRE(m->props->subscription_identifiers.size() == 1);
        CHECK(m->props->subscription_identifiers[0] == 42u);
      }
      mqtt::ack_packet ack;
      ack.type = mqtt::packet_type::puback;
      ack.packet_id = m->packet_id;
      REQUIRE(sub->send(ack));
    }
  }
}
