// SPDX-License-Identifier: Apache-2.0
//
// MQTT 5 enhanced authentication through client.authenticate and client.auth_exchange,
// with fx_enhanced's method X-TEST (challenge, answer accepted from a second thread,
// re-authentication).
#include <doctest/doctest.h>

#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;
using mqtt::reason_code;

namespace {
mqtt::connect_packet with_method(const std::string& id, const std::string& method,
                                 const std::string& data) {
  mqtt::connect_packet cp;
  cp.client_id = id;
  cp.props.authentication_method = method;
  cp.props.authentication_data = data;
  return cp;
}

mqtt::auth_packet auth(reason_code code, const std::string& data) {
  mqtt::auth_packet a;
  a.code = code;
  a.props.authentication_method = "X-TEST";
  a.props.authentication_data = data;
  return a;
}
}  // namespace

TEST_CASE("enhanced authentication: challenge, answer, CONNACK with the method; re-auth") {
  fixture_broker b("enhanced_auth", "fx_enhanced");
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.send(with_method("scram-like", "X-TEST", "hello")));
  auto challenge = c.expect<mqtt::auth_packet>();
  REQUIRE(challenge);
  CHECK(challenge->code == reason_code::continue_authentication);
  CHECK(challenge->props.authentication_method == "X-TEST");
  CHECK(challenge->props.authentication_data == "challenge");
  // Another round before the final answer.
  REQUIRE(c.send(auth(reason_code::continue_authentication, "more")));
  auto again = c.expect<mqtt::auth_packet>();
  REQUIRE(again);
  CHECK(again->props.authentication_data == "again?");
  REQUIRE(c.send(auth(reason_code::continue_authentication, "response")));
  auto ack = c.expect<mqtt::connack_packet>();
  REQUIRE(ack);
  CHECK(ack->code == reason_code::success);
  CHECK(ack->props.authentication_method == "X-TEST");
  CHECK(ack->props.authentication_data == "welcome");
  CHECK(c.ping());

  // Re-authentication on the live connection.
  REQUIRE(c.send(auth(reason_code::reauthenticate, "again")));
  auto ok = c.expect<mqtt::auth_packet>();
  REQUIRE(ok);
  CHECK(ok->code == reason_code::success);
  CHECK(ok->props.authentication_data == "ok");
  REQUIRE(c.send(auth(reason_code::reauthenticate, "wrong")));
  auto d = c.expect<mqtt::disconnect_packet>();
  REQUIRE(d);
  CHECK(d->code == reason_code::not_authorized);
}

TEST_CASE("enhanced authentication: a wrong answer, a wrong first step, an unknown method") {
  fixture_broker b("enhanced_auth_refused", "fx_enhanced");
  {
    mqtt_client c("127.0.0.1", b.port());
    REQUIRE(c.send(with_method("wrong-answer", "X-TEST", "hello")));
    REQUIRE(c.expect<mqtt::auth_packet>());
    REQUIRE(c.send(auth(reason_code::continue_authentication, "guess")));
    auto ack = c.expect<mqtt::connack_packet>();
    REQUIRE(ack);
    CHECK(ack->code == reason_code::not_authorized);
  }
  {
    mqtt_client c("127.0.0.1", b.port());
    auto ack = c.connect(with_method("wrong-start", "X-TEST", "bye"));
    REQUIRE(ack);
    CHECK(ack->code == reason_code::bad_user_name_or_password);
  }
  {
    mqtt_client c("127.0.0.1", b.port());
    auto ack = c.connect(with_method("unknown-method", "X-OTHER", ""));
    REQUIRE(ack);
    CHECK(ack->code == reason_code::bad_authentication_method);
  }
  {
    // Anything but AUTH while the exchange is open ends the connection.
    mqtt_client c("127.0.0.1", b.port());
    REQUIRE(c.send(with_method("silent", "X-TEST", "hello")));
    REQUIRE(c.expect<mqtt::auth_packet>());
    CHECK(c.ping() == false);  // a PINGREQ before CONNACK is not allowed
  }
  CHECK(b.serves());
}
