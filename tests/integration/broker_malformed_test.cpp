// SPDX-License-Identifier: Apache-2.0
//
// Bad input closes only the offending connection, with the reason code the
// specification names: an MQTT 5 client gets DISCONNECT (or CONNACK before it is
// connected) first, an MQTT 3 client is simply disconnected. A witness client stays
// connected through every case and must still answer a PING at the end of each.
#include <doctest/doctest.h>

#include <functional>

#include "support/broker_under_test.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::protocol_version;

namespace {
enum class expect { disconnect, connack, close };

struct bad_input {
  const char* name;
  protocol_version version;
  bool connect_first;
  std::string hex;  // what to send (ignored when `make` is set)
  expect outcome;
  // DISCONNECT or CONNACK reason code. The test client decodes a 3.x CONNACK return
  // code into the matching 5.0 reason code (1 -> 0x84, 2 -> 0x85, 3 -> 0x88).
  int code;
  std::function<std::string()> make = {};
};

std::string oversized_publish() {
  mqtt::publish_packet p;
  p.topic = "big";
  p.payload.assign(2000, 'x');
  mqtt::bytes out;
  mqtt::encode_publish(p, protocol_version::v5, out);
  return out;
}

const char* v5_connect_m = "10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 6D";

std::vector<bad_input> cases() {
  const auto v5 = protocol_version::v5;
  const auto v311 = protocol_version::v3_1_1;
  return {
      {"[MQTT-1.5.5-1] remaining length with a fifth byte", v5, true, "30 FF FF FF FF 01",
       expect::disconnect, 0x81},
      {"[MQTT-3.3.1-4] PUBLISH QoS 3", v5, true, "36 06 00 01 61 00 01 00", expect::disconnect,
       0x81},
      {"[MQTT-3.3.1-2] DUP set at QoS 0", v5, true, "38 04 00 01 61 00", expect::disconnect, 0x81},
      {"[MQTT-3.3.2-2] wildcard in a PUBLISH topic", v5, true, "30 06 00 03 61 2F 23 00",
       expect::disconnect, 0x90},
      {"[MQTT-2.2.1-3] QoS 1 PUBLISH with packet id 0", v5, true, "32 06 00 01 61 00 00 00",
       expect::disconnect, 0x81},
      {"[MQTT-1.5.4-1] overlong UTF-8 in a topic", v5, true, "30 05 00 02 C0 80 00",
       expect::disconnect, 0x81},
      {"[MQTT-1.5.4-2] U+0000 in a topic", v5, true, "30 05 00 02 61 00 00", expect::disconnect,
       0x81},
      {"[MQTT-2.2.2-2] property given twice", v5, true, "30 08 00 01 61 04 01 00 01 00",
       expect::disconnect, 0x82},
      {"session expiry is not a PUBLISH property", v5, true, "30 09 00 01 61 05 11 00 00 00 0A",
       expect::disconnect, 0x82},
      {"unknown property identifier", v5, true, "30 05 00 01 61 01 7F", expect::disconnect, 0x81},
      {"[MQTT-3.3.4-6] subscription identifier from a client", v5, true, "30 06 00 01 61 02 0B 01",
       expect::disconnect, 0x82},
      {"[MQTT-3.3.2-8] topic alias 0", v5, true, "30 07 00 01 61 03 23 00 00", expect::disconnect,
       0x94},
      {"[MQTT-3.3.2-9] topic alias above the maximum", v5, true, "30 07 00 01 61 03 23 00 0B",
       expect::disconnect, 0x94},
      {"[MQTT-3.3.2-1] empty topic without an alias", v5, true, "30 03 00 00 00",
       expect::disconnect, 0x82},
      {"[MQTT-3.3.2-7] unknown topic alias", v5, true, "30 06 00 00 03 23 00 05",
       expect::disconnect, 0x82},
      {"[MQTT-3.3.2-14] response topic with a wildcard", v5, true,
       "30 0A 00 01 61 05 08 00 02 61 23 78", expect::disconnect, 0x82},
      {"[MQTT-3.8.1-1] SUBSCRIBE reserved flags", v5, true, "80 07 00 01 00 00 01 61 00",
       expect::disconnect, 0x81},
      {"[MQTT-3.8.3-2] SUBSCRIBE without filters", v5, true, "82 03 00 01 00", expect::disconnect,
       0x82},
      {"[MQTT-3.8.3-5] subscription options reserved bits", v5, true, "82 07 00 01 00 00 01 61 C0",
       expect::disconnect, 0x81},
      {"[MQTT-3.8.3-4] subscription QoS 3", v5, true, "82 07 00 01 00 00 01 61 03",
       expect::disconnect, 0x81},
      {"retain handling 3", v5, true, "82 07 00 01 00 00 01 61 30", expect::disconnect, 0x82},
      {"[MQTT-2.2.1-3] SUBSCRIBE with packet id 0", v5, true, "82 07 00 00 00 00 01 61 00",
       expect::disconnect, 0x81},
      {"[MQTT-3.10.3-2] UNSUBSCRIBE without filters", v5, true, "A2 03 00 01 00",
       expect::disconnect, 0x82},
      {"[MQTT-3.10.1-1] UNSUBSCRIBE reserved flags", v5, true, "A0 06 00 01 00 00 01 61",
       expect::disconnect, 0x81},
      {"[MQTT-3.6.1-1] PUBREL reserved flags", v5, true, "60 02 00 01", expect::disconnect, 0x81},
      {"PUBACK with bytes past its end", v5, true, "40 05 00 01 00 00 FF", expect::disconnect,
       0x81},
      {"[MQTT-3.1.0-2] a second CONNECT", v5, true, v5_connect_m, expect::disconnect, 0x82},
      {"packet larger than max_packet_size", v5, true, "", expect::disconnect, 0x95,
       oversized_publish},
      {"PINGREQ with a body", v5, true, "C0 01 00", expect::disconnect, 0x81},
      {"reserved packet type 0", v5, true, "00 00", expect::disconnect, 0x81},
      {"CONNACK sent by a client", v5, true, "20 03 00 00 00", expect::disconnect, 0x82},
      {"[MQTT-3.8.3-4] no local on a shared subscription", v5, true,
       "82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 04", expect::disconnect, 0x82},
      {"[MQTT-4.12.0-1] AUTH without an authentication method", v5, true, "F0 00",
       expect::disconnect, 0x82},
      {"[MQTT-3.14.2-2] session expiry set on DISCONNECT after 0", v5, true,
       "E0 07 00 05 11 00 00 00 0A", expect::disconnect, 0x82},
      {"[MQTT-3.1.0-1] PUBLISH before CONNECT", v5, false, "30 04 00 01 61 00", expect::close, 0},
      {"[MQTT-3.1.2-2] unknown protocol name", v5, false,
       "10 0E 00 04 4D 51 54 58 05 02 00 3C 00 00 01 6D", expect::connack, 0x84},
      {"[MQTT-3.1.2-3] CONNECT reserved flag", v5, false,
       "10 0E 00 04 4D 51 54 54 05 03 00 3C 00 00 01 6D", expect::connack, 0x81},
      {"[MQTT-3.1.2-12] will QoS 3", v5, false, "10 0E 00 04 4D 51 54 54 05 1E 00 3C 00 00 01 6D",
       expect::connack, 0x81},
      {"unsupported authentication method", v5, false,
       "10 15 00 04 4D 51 54 54 05 02 00 3C 07 15 00 04 53 43 52 4D 00 01 6D", expect::connack,
       0x8C},
      {"[MQTT-1.5.4-1] client id is not UTF-8", v5, false,
       "10 0F 00 04 4D 51 54 54 05 02 00 3C 00 00 02 C0 80", expect::connack, 0x81},
      {"3.1.1 [MQTT-3.1.2-2] unsupported protocol level", v311, false,
       "10 0D 00 04 4D 51 54 54 06 02 00 3C 00 01 6D", expect::connack, 0x84},
      {"3.1.1 [MQTT-3.1.2-22] password without user name", v311, false,
       "10 0D 00 04 4D 51 54 54 04 42 00 3C 00 01 6D", expect::close, 0},
      {"3.1.1 [MQTT-3.1.3-8] empty client id without clean session", v311, false,
       "10 0C 00 04 4D 51 54 54 04 00 00 3C 00 00", expect::connack, 0x85},
      {"3.1.1 PUBLISH QoS 3", v311, true, "36 05 00 01 61 00 01", expect::close, 0},
      {"3.1.1 [MQTT-3.8.3-4] subscription options reserved bits", v311, true,
       "82 06 00 01 00 01 61 04", expect::close, 0},
      {"3.1.1 [MQTT-3.3.2-2] wildcard in a PUBLISH topic", v311, true, "30 05 00 01 2B 61 61",
       expect::close, 0},
  };
}
}  // namespace

TEST_CASE("malformed and forbidden packets close only the offending connection") {
  broker_under_test broker(
      "malformed", {"EMQX_CPP_MQTT__MAX_TOPIC_ALIAS=10", "EMQX_CPP_MQTT__MAX_PACKET_SIZE=1KB"});
  mqtt_client witness("127.0.0.1", broker.port());
  REQUIRE(witness.connect("witness", true, 600));
  REQUIRE(witness.subscribe("witness/#", 0));
  const auto all = cases();
  CHECK(all.size() >= 30);
  int n = 0;
  for (const auto& c : all) {
    CAPTURE(c.name);
    mqtt_client bad("127.0.0.1", broker.port(), c.version);
    if (c.connect_first) REQUIRE(bad.connect("bad-" + std::to_string(++n)));
    REQUIRE(bad.send_raw(c.make ? c.make() : from_hex(c.hex)));
    switch (c.outcome) {
      case expect::disconnect: {
        auto d = bad.expect<mqtt::disconnect_packet>(3s);
        REQUIRE(d);
        CHECK(static_cast<int>(d->code) == c.code);
        break;
      }
      case expect::connack: {
        auto a = bad.expect<mqtt::connack_packet>(3s);
        REQUIRE(a);
        CHECK(static_cast<int>(a->code) == c.code);
        break;
      }
      case expect::close:
        CHECK_FALSE(bad.receive(300ms).has_value());
        break;
    }
    CHECK(bad.closed_within(3s));
    CHECK(witness.ping());
  }
  // The witness still gets messages.
  mqtt_client pub("127.0.0.1", broker.port());
  REQUIRE(pub.connect("after-all"));
  REQUIRE(pub.publish("witness/ok", "still here", 1));
  auto p = witness.expect<mqtt::publish_packet>(3s);
  REQUIRE(p);
  CHECK(p->payload == "still here");
  const auto status = broker.stop();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
