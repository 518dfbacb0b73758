// SPDX-License-Identifier: Apache-2.0
//
// CONNECT and CONNACK (sections 3.1 and 3.2) in 3.1, 3.1.1 and 5.0: hand-written wire
// vectors decoded field by field and encoded back to the same bytes, and every reason
// the decoder refuses a CONNECT or CONNACK with.
#include <doctest/doctest.h>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

// MQTT 3.1: protocol name "MQIsdp", level 3; clean session, will QoS 1 with retain,
// user name and password, keep alive 60 s, client "c1".
constexpr std::string_view connect_v3_1 =
    "10 26 00 06 4D 51 49 73 64 70 03 EE 00 3C"
    " 00 02 63 31"
    " 00 03 77 2F 74 00 03 62 79 65"
    " 00 04 75 73 65 72 00 04 70 61 73 73";

// MQTT 3.1.1: protocol "MQTT" level 4, clean session, keep alive 60 s, client "cid".
constexpr std::string_view connect_v3_1_1_minimal =
    "10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 63 69 64";

// MQTT 3.1.1: persistent session, will QoS 2 without retain and an empty will payload,
// user name without password, keep alive 10 s.
constexpr std::string_view connect_v3_1_1_will =
    "10 17 00 04 4D 51 54 54 04 94 00 0A 00 03 63 69 64"
    " 00 01 74 00 00 00 01 75";

// MQTT 5.0 with every CONNECT property and every will property, in the order the
// encoder writes them.
constexpr std::string_view connect_v5_props =
    "10 6E 00 04 4D 51 54 54 05 CE 00 1E"
    " 26"
    " 11 00 00 0E 10"        // session expiry 3600
    " 15 00 03 74 6F 6B"     // authentication method "tok"
    " 16 00 02 01 02"        // authentication data 01 02
    " 17 00"                 // request problem information 0
    " 19 01"                 // request response information 1
    " 21 00 14"              // receive maximum 20
    " 22 00 0A"              // topic alias maximum 10
    " 26 00 01 6B 00 01 76"  // user property k=v
    " 27 00 10 00 00"        // maximum packet size 1 MiB
    " 00 03 63 69 64"        // client "cid"
    " 23"                    // will properties
    " 01 01"                 // payload format: UTF-8
    " 02 00 00 00 3C"        // message expiry 60
    " 03 00 04 74 65 78 74"  // content type "text"
    " 08 00 01 72"           // response topic "r"
    " 09 00 02 AB CD"        // correlation data
    " 18 00 00 00 05"        // will delay 5
    " 26 00 01 61 00 01 62"  // user property a=b
    " 00 03 77 2F 74"        // will topic "w/t"
    " 00 03 62 79 65"        // will payload "bye"
    " 00 04 75 73 65 72"     // user name "user"
    " 00 02 70 77";          // password "pw"

TEST_CASE("CONNECT 3.1 (MQIsdp, level 3) decodes every field and encodes to the same bytes") {
  const auto c = round_trip<connect_packet>(connect_v3_1, v3_1);
  CHECK(c.version == v3_1);
  CHECK(c.protocol_name == "MQIsdp");
  CHECK(c.clean_start);
  CHECK(c.keep_alive == 60);
  CHECK(c.client_id == "c1");
  REQUIRE(c.will.has_value());
  CHECK(c.will->topic == "w/t");
  CHECK(c.will->payload == "bye");
  CHECK(c.will->qos == 1);
  CHECK(c.will->retain);
  CHECK(c.username == "user");
  CHECK(c.password == "pass");
  CHECK_FALSE(c.bridge);
  CHECK(c.props == properties{});
  // The connection's version is irrelevant: CONNECT names its own.
  CHECK(decode_as<connect_packet>(connect_v3_1, v5).version == v3_1);
}

TEST_CASE("CONNECT 3.1.1 minimal: clean session, no will, no credentials") {
  const auto c = round_trip<connect_packet>(connect_v3_1_1_minimal, v3_1_1);
  CHECK(c.version == v3_1_1);
  CHECK(c.protocol_name == "MQTT");
  CHECK(c.clean_start);
  CHECK(c.keep_alive == 60);
  CHECK(c.client_id == "cid");
  CHECK_FALSE(c.will.has_value());
  CHECK_FALSE(c.username.has_value());
  CHECK_FALSE(c.password.has_value());
}

TEST_CASE("CONNECT 3.1.1 with a QoS 2 will, empty will payload and user name only") {
  const auto c = round_trip<connect_packet>(connect_v3_1_1_will, v3_1_1);
  CHECK_FALSE(c.clean_start);
  CHECK(c.keep_alive == 10);
  REQUIRE(c.will.has_value());
  CHECK(c.will->topic == "t");
  CHECK(c.will->payload.empty());
  CHECK(c.will->qos == 2);
  CHECK_FALSE(c.will->retain);
  CHECK(c.username == "u");
  CHECK_FALSE(c.password.has_value());
}

TEST_CASE("CONNECT 3.1.1 from a bridge: bit 0x80 of the protocol level sets bridge") {
  const auto c =
      round_trip<connect_packet>("10 0F 00 04 4D 51 54 54 84 02 00 3C 00 03 63 69 64", v3_1_1);
  CHECK(c.bridge);
  CHECK(c.version == v3_1_1);
}

TEST_CASE("CONNECT 5.0 with session expiry, receive maximum, user properties, auth method") {
  const auto c = round_trip<connect_packet>(connect_v5_props, v5);
  CHECK(c.version == v5);
  CHECK(c.clean_start);
  CHECK(c.keep_alive == 30);
  CHECK(c.client_id == "cid");
  CHECK(c.props.session_expiry_interval == 3600u);
  CHECK(c.props.authentication_method == "tok");
  CHECK(c.props.authentication_data == hex("01 02"));
  CHECK(c.props.request_problem_information == 0);
  CHECK(c.props.request_response_information == 1);
  CHECK(c.props.receive_maximum == 20);
  CHECK(c.props.topic_alias_maximum == 10);
  REQUIRE(c.props.user.size() == 1);
  CHECK(c.props.user[0] == std::pair<std::string, std::string>{"k", "v"});
  CHECK(c.props.maximum_packet_size == 1048576u);
  REQUIRE(c.will.has_value());
  CHECK(c.will->qos == 1);
  CHECK_FALSE(c.will->retain);
  CHECK(c.will->topic == "w/t");
  CHECK(c.will->payload == "bye");
  const auto& w = c.will->props;
  CHECK(w.payload_format_indicator == 1);
  CHECK(w.message_expiry_interval == 60u);
  CHECK(w.content_type == "text");
  CHECK(w.response_topic == "r");
  CHECK(w.correlation_data == hex("AB CD"));
  CHECK(w.will_delay_interval == 5u);
  REQUIRE(w.user.size() == 1);
  CHECK(w.user[0] == std::pair<std::string, std::string>{"a", "b"});
  CHECK(c.username == "user");
  CHECK(c.password == "pw");
}

TEST_CASE("CONNECT 5.0 allows a password without a user name and an empty client id") {
  const auto c =
      round_trip<connect_packet>("10 11 00 04 4D 51 54 54 05 42 00 00 00 00 00 00 02 70 77", v5);
  CHECK(c.client_id.empty());
  CHECK_FALSE(c.username.has_value());
  CHECK(c.password == "pw");
}

TEST_CASE("CONNECT 3.1.1 password without user name is malformed [MQTT-3.1.2-22]") {
  CHECK(reject("10 10 00 04 4D 51 54 54 04 42 00 00 00 00 00 02 70 77", v3_1_1) ==
        rc(reason_code::malformed_packet));
  CHECK(reject("10 12 00 06 4D 51 49 73 64 70 03 42 00 00 00 00 00 02 70 77", v3_1) ==
        rc(reason_code::malformed_packet));
}

TEST_CASE("CONNECT reserved flag bit 0 set is malformed [MQTT-3.1.2-3]") {
  CHECK(reject("10 0F 00 04 4D 51 54 54 04 03 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::malformed_packet));
  CHECK(reject("10 10 00 04 4D 51 54 54 05 03 00 3C 00 00 03 63 69 64", v5) ==
        rc(reason_code::malformed_packet));
}

TEST_CASE("CONNECT will QoS 3 is malformed [MQTT-3.1.2-12]") {
  CHECK(reject("10 17 00 04 4D 51 54 54 04 9E 00 0A 00 03 63 69 64 00 01 74 00 00 00 01 75",
               v3_1_1) == rc(reason_code::malformed_packet));
}

TEST_CASE("CONNECT will QoS or will retain without the will flag is malformed [MQTT-3.1.2-11]") {
  // Will QoS 1 without will flag.
  CHECK(reject("10 0F 00 04 4D 51 54 54 04 0A 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::malformed_packet));
  // Will retain without will flag [MQTT-3.1.2-13].
  CHECK(reject("10 0F 00 04 4D 51 54 54 04 22 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::malformed_packet));
}

TEST_CASE("CONNECT with an unknown protocol name or level is unsupported (0x84) [MQTT-3.1.2-2]") {
  // "MQTT" level 6, "MQTT" level 3, "MQIsdp" level 4, "MQTX" level 4.
  CHECK(reject("10 0F 00 04 4D 51 54 54 06 02 00 3C 00 03 63 69 64", v5) ==
        rc(reason_code::unsupported_protocol_version));
  CHECK(reject("10 0F 00 04 4D 51 54 54 03 02 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::unsupported_protocol_version));
  CHECK(reject("10 11 00 06 4D 51 49 73 64 70 04 02 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::unsupported_protocol_version));
  CHECK(reject("10 0F 00 04 4D 51 54 58 04 02 00 3C 00 03 63 69 64", v3_1_1) ==
        rc(reason_code::unsupported_protocol_version));
}

TEST_CASE("connect_version reads the version a CONNECT asks for, so a refusal uses it") {
  auto version = [](std::string_view frame) {
    const auto bytes = hex(frame);
    return connect_version(as_span(bytes).subspan(2));
  };
  CHECK(version(connect_v3_1) == v3_1);
  CHECK(version(connect_v3_1_1_minimal) == v3_1_1);
  CHECK(version(connect_v5_props) == v5);
  CHECK(version("10 0F 00 04 4D 51 54 54 84 02 00 3C 00 03 63 69 64") == v3_1_1);  // bridge
  CHECK(version("10 0F 00 04 4D 51 54 54 06 02 00 3C 00 03 63 69 64") == std::nullopt);
  CHECK(version("10 0F 00 04 4D 51 54 54 03 02 00 3C 00 03 63 69 64") == std::nullopt);
  CHECK(version("10 11 00 06 4D 51 49 73 64 70 04 02 00 3C 00 03 63 69 64") == std::nullopt);
  // Any name with level 5 is answered in the 5.0 format (with 0x84).
  CHECK(version("10 0F 00 04 4D 51 54 58 05 02 00 3C 00 03 63 69 64") == v5);
  CHECK(version("10 04 00 04 4D 51") == std::nullopt);        // name truncated
  CHECK(version("10 06 00 04 4D 51 54 54") == std::nullopt);  // level missing
}

TEST_CASE("CONNECT client identifier that is not UTF-8 is malformed [MQTT-1.5.4-1]") {
  // Over-long "/" (C0 AF), a surrogate (ED A0 80), U+0000, a truncated 2-byte form.
  CHECK(reject("10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 C0 AF", v3_1_1) ==
        rc(reason_code::malformed_packet));
  CHECK(reject("10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 ED A0 80", v3_1_1) ==
        rc(reason_code::malformed_packet));
  CHECK(reject("10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 61 00", v3_1_1) ==
        rc(reason_code::malformed_packet));
  CHECK(reject("10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 61 C3", v3_1_1) ==
        rc(reason_code::malformed_packet));
  // strict = false (EMQX's strict_mode off) lets it through.
  const auto frame = hex("10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 C0 AF");
  CHECK(decode_frame(frame, v3_1_1, decode_options{false}).ok());
}

TEST_CASE("CONNECT with bytes past its last field is malformed") {
  CHECK(reject("10 10 00 04 4D 51 54 54 04 02 00 3C 00 03 63 69 64 00", v3_1_1) ==
        rc(reason_code::malformed_packet));
}

TEST_CASE("CONNECT truncated anywhere is malformed") {
  const auto full = hex(connect_v5_props);
  // Cut the body at every length: the remaining length says how much there is, so each
  // shortened frame is complete but its fields run out.
  for (std::size_t body = 0; body + 2 < full.size(); ++body) {
    CAPTURE(body);
    bytes frame = full.substr(0, 2 + body);
    frame[1] = static_cast<char>(body);
    auto r = decode_frame(frame, v5);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == rc(reason_code::malformed_packet));
  }
}

TEST_CASE("CONNECT will topic with a wildcard or empty is an invalid topic name (0x90)") {
  CHECK(reject("10 14 00 04 4D 51 54 54 04 0C 00 0A 00 03 63 69 64 00 01 23 00 00", v3_1_1) ==
        rc(reason_code::topic_name_invalid));
  CHECK(reject("10 13 00 04 4D 51 54 54 04 0C 00 0A 00 03 63 69 64 00 00 00 00", v3_1_1) ==
        rc(reason_code::topic_name_invalid));
}

TEST_CASE("CONNECT 5.0 will payload marked UTF-8 that is not is refused (0x99) when asked") {
  // Will properties: payload format 1; will payload FF.
  decode_options validate;
  validate.validate_payload_format = true;
  CHECK(reject("10 19 00 04 4D 51 54 54 05 06 00 0A 00 00 03 63 69 64 02 01 01"
               " 00 01 74 00 01 FF",
               v5, validate) == rc(reason_code::payload_format_invalid));
  CHECK(decode_frame(hex("10 19 00 04 4D 51 54 54 05 06 00 0A 00 00 03 63 69 64 02 01 01"
                         " 00 01 74 00 01 FF"),
                     v5)
            .ok());
}

TEST_CASE("CONNECT 5.0 authentication data without a method is a protocol error") {
  CHECK(reject("10 14 00 04 4D 51 54 54 05 02 00 0A 04 16 00 01 00 00 03 63 69 64", v5) ==
        rc(reason_code::protocol_error));
}

TEST_CASE("CONNECT 5.0 with a will-only property in the CONNECT block is a protocol error") {
  // Will delay interval (0x18) belongs in the will properties.
  CHECK(reject("10 15 00 04 4D 51 54 54 05 02 00 0A 05 18 00 00 00 01 00 03 63 69 64", v5) ==
        rc(reason_code::protocol_error));
}

TEST_CASE("CONNACK 3.1 and 3.1.1: session present flag and return code") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto accepted = round_trip<connack_packet>("20 02 00 00", version);
    CHECK_FALSE(accepted.session_present);
    CHECK(accepted.code == reason_code::success);
    const auto present = round_trip<connack_packet>("20 02 01 00", version);
    CHECK(present.session_present);
    CHECK(present.code == reason_code::success);
  }
}

TEST_CASE("CONNACK 3.x return codes 1-5 decode to the reason codes that encode back to them") {
  struct row {
    std::string_view frame;
    reason_code code;
    connack_v3 v3;
  };
  const row rows[] = {
      {"20 02 00 01", reason_code::unsupported_protocol_version,
       connack_v3::unacceptable_protocol_version},
      {"20 02 00 02", reason_code::client_identifier_not_valid, connack_v3::identifier_rejected},
      {"20 02 00 03", reason_code::server_unavailable, connack_v3::server_unavailable},
      {"20 02 00 04", reason_code::bad_user_name_or_password,
       connack_v3::bad_user_name_or_password},
      {"20 02 00 05", reason_code::not_authorized, connack_v3::not_authorized},
  };
  for (const auto& r : rows) {
    CAPTURE(r.frame);
    const auto c = round_trip<connack_packet>(r.frame, v3_1_1);
    CHECK(c.code == r.code);
    CHECK(is_error(c.code));
    CHECK(to_v3(c.code) == r.v3);
  }
}

TEST_CASE("CONNACK 3.x encodes a 5.0-only reason code as the closest return code") {
  CHECK(encoded(connack_packet{false, reason_code::banned, {}}, v3_1_1) == "20 02 00 05");
  CHECK(encoded(connack_packet{false, reason_code::bad_authentication_method, {}}, v3_1) ==
        "20 02 00 04");
  CHECK(encoded(connack_packet{false, reason_code::quota_exceeded, {}}, v3_1_1) == "20 02 00 03");
  // 5.0 properties are left out in 3.x.
  connack_packet c;
  c.props.assigned_client_identifier = "x";
  CHECK(encoded(c, v3_1_1) == "20 02 00 00");
}

TEST_CASE("CONNACK 5.0 with assigned client id and every CONNACK property") {
  const auto c = round_trip<connack_packet>(
      "20 47 01 00 44"
      " 11 00 00 00 78"        // session expiry 120
      " 12 00 04 61 75 74 6F"  // assigned client identifier "auto"
      " 13 00 3C"              // server keep alive 60
      " 15 00 03 74 6F 6B"     // authentication method "tok"
      " 16 00 01 00"           // authentication data 00
      " 1A 00 02 72 69"        // response information "ri"
      " 1C 00 02 73 32"        // server reference "s2"
      " 1F 00 02 6F 6B"        // reason string "ok"
      " 21 00 0A"              // receive maximum 10
      " 22 00 05"              // topic alias maximum 5
      " 24 01"                 // maximum QoS 1
      " 25 01"                 // retain available
      " 26 00 01 6B 00 01 76"  // user property k=v
      " 27 00 00 FF FF"        // maximum packet size 65535
      " 28 01"                 // wildcard subscriptions available
      " 29 00"                 // subscription identifiers not available
      " 2A 01",                // shared subscriptions available
      v5);
  CHECK(c.session_present);
  CHECK(c.code == reason_code::success);
  const auto& p = c.props;
  CHECK(p.session_expiry_interval == 120u);
  CHECK(p.assigned_client_identifier == "auto");
  CHECK(p.server_keep_alive == 60);
  CHECK(p.authentication_method == "tok");
  CHECK(p.authentication_data == hex("00"));
  CHECK(p.response_information == "ri");
  CHECK(p.server_reference == "s2");
  CHECK(p.reason_string == "ok");
  CHECK(p.receive_maximum == 10);
  CHECK(p.topic_alias_maximum == 5);
  CHECK(p.maximum_qos == 1);
  CHECK(p.retain_available == 1);
  REQUIRE(p.user.size() == 1);
  CHECK(p.user[0] == std::pair<std::string, std::string>{"k", "v"});
  CHECK(p.maximum_packet_size == 65535u);
  CHECK(p.wildcard_subscription_available == 1);
  CHECK(p.subscription_identifier_available == 0);
  CHECK(p.shared_subscription_available == 1);
}

TEST_CASE("CONNACK 5.0 refusal keeps its reason code") {
  const auto c = round_trip<connack_packet>("20 03 00 87 00", v5);
  CHECK(c.code == reason_code::not_authorized);
  CHECK(c.props == properties{});
}

TEST_CASE("CONNACK with reserved acknowledge flags is malformed [MQTT-3.2.2-1]") {
  CHECK(reject("20 02 02 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("20 03 80 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("CONNACK 3.x return code above 5 is malformed") {
  CHECK(reject("20 02 00 06", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("20 02 00 80", v3_1) == rc(reason_code::malformed_packet));
}

TEST_CASE("CONNACK truncated or with trailing bytes is malformed") {
  CHECK(reject("20 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("20 03 00 00 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("20 02 00 00", v5) == rc(reason_code::malformed_packet));  // no property length
  CHECK(reject("20 04 00 00 00 00", v5) == rc(reason_code::malformed_packet));
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
