// SPDX-License-Identifier: Apache-2.0
//
// PINGREQ, PINGRESP, DISCONNECT and AUTH (sections 3.12 to 3.15): wire vectors in each
// version that has them, the 5.0 reason codes and properties, and the decoder's
// refusals (a body where none belongs, reserved flags, AUTH before 5.0). Also the
// names and the 3.x mapping of reason codes in types.hpp.
#include <doctest/doctest.h>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

TEST_CASE("PINGREQ and PINGRESP are two bytes in every version") {
  for (auto version : {v3_1, v3_1_1, v5}) {
    CAPTURE(static_cast<int>(version));
    round_trip<pingreq_packet>("C0 00", version);
    round_trip<pingresp_packet>("D0 00", version);
  }
  bytes out;
  encode_pingreq(out);
  encode_pingresp(out);
  CHECK(to_hex(out) == "C0 00 D0 00");
}

TEST_CASE("PINGREQ and PINGRESP with a body are malformed") {
  CHECK(reject("C0 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("D0 02 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE(
    "PINGREQ, PINGRESP and DISCONNECT with reserved flags are malformed [MQTT-2.2.2-2] "
    "[MQTT-3.14.1-1]") {
  CHECK(reject("C1 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("D8 00", v3_1) == rc(reason_code::malformed_packet));
  CHECK(reject("E2 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("E1 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("DISCONNECT 3.1 and 3.1.1 is two bytes and a body is malformed") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto d = round_trip<disconnect_packet>("E0 00", version);
    CHECK(d.code == reason_code::success);
    CHECK(reject("E0 01 00", version) == rc(reason_code::malformed_packet));
  }
  // The 5.0 fields are dropped in 3.x.
  disconnect_packet d;
  d.code = reason_code::server_shutting_down;
  CHECK(encoded(d, v3_1_1) == "E0 00");
}

TEST_CASE("DISCONNECT 5.0 normal disconnection is two bytes") {
  const auto d = round_trip<disconnect_packet>("E0 00", v5);
  CHECK(d.code == reason_code::success);
  CHECK(d.props == properties{});
}

TEST_CASE("DISCONNECT 5.0 with will, session expiry, server reference, reason string") {
  const auto d = round_trip<disconnect_packet>(
      "E0 19 04 17"
      " 11 00 00 00 00"         // session expiry 0
      " 1C 00 02 73 32"         // server reference "s2"
      " 1F 00 03 62 79 65"      // reason string "bye"
      " 26 00 01 6B 00 01 76",  // user property k=v
      v5);
  CHECK(d.code == reason_code::disconnect_with_will_message);
  CHECK(d.props.session_expiry_interval == 0u);
  CHECK(d.props.server_reference == "s2");
  CHECK(d.props.reason_string == "bye");
  REQUIRE(d.props.user.size() == 1);
}

TEST_CASE("DISCONNECT 5.0 with only a reason code decodes and encodes with an empty block") {
  const auto d = decode_as<disconnect_packet>("E0 01 8E", v5);
  CHECK(d.code == reason_code::session_taken_over);
  CHECK(encoded(d, v5) == "E0 02 8E 00");
  round_trip<disconnect_packet>("E0 02 8E 00", v5);
}

TEST_CASE("DISCONNECT 5.0 with a property of another packet is a protocol error") {
  // Receive maximum (0x21) is for CONNECT and CONNACK.
  CHECK(reject("E0 05 00 03 21 00 01", v5) == rc(reason_code::protocol_error));
  // Property block past the end, or bytes after it: malformed.
  CHECK(reject("E0 02 00 03", v5) == rc(reason_code::malformed_packet));
  CHECK(reject("E0 03 00 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("AUTH 5.0 with method, data, reason string and user property") {
  const auto a = round_trip<auth_packet>(
      "F0 1B 18 19"
      " 15 00 05 53 43 52 41 4D"  // authentication method "SCRAM"
      " 16 00 03 01 02 03"        // authentication data
      " 1F 00 01 63"              // reason string "c"
      " 26 00 01 6B 00 01 76",    // user property k=v
      v5);
  CHECK(a.code == reason_code::continue_authentication);
  CHECK(a.props.authentication_method == "SCRAM");
  CHECK(a.props.authentication_data == hex("01 02 03"));
  CHECK(a.props.reason_string == "c");
  REQUIRE(a.props.user.size() == 1);
}

TEST_CASE("AUTH 5.0 short forms: no body means success") {
  const auto empty = decode_as<auth_packet>("F0 00", v5);
  CHECK(empty.code == reason_code::success);
  const auto code_only = decode_as<auth_packet>("F0 01 19", v5);
  CHECK(code_only.code == reason_code::reauthenticate);
  CHECK(encoded(code_only, v5) == "F0 02 19 00");
  round_trip<auth_packet>("F0 02 00 00", v5);
}

TEST_CASE("AUTH before 5.0 is malformed: packet type 15 is reserved in 3.x") {
  CHECK(reject("F0 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("F0 02 18 00", v3_1) == rc(reason_code::malformed_packet));
}

TEST_CASE("AUTH with reserved flags, a foreign property or trailing bytes is refused") {
  CHECK(reject("F1 00", v5) == rc(reason_code::malformed_packet));
  // Session expiry (0x11) is not an AUTH property.
  CHECK(reject("F0 07 18 05 11 00 00 00 01", v5) == rc(reason_code::protocol_error));
  CHECK(reject("F0 03 18 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("every reason code and packet type has a name") {
  for (int raw = 0; raw < 256; ++raw) {
    const auto code = static_cast<reason_code>(raw);
    const auto name = to_string(code);
    CHECK_FALSE(name.empty());
    CHECK(is_error(code) == (raw >= 0x80));
  }
  CHECK(to_string(reason_code::success) == "success");
  CHECK(to_string(reason_code::malformed_packet) == "malformed_packet");
  CHECK(to_string(reason_code::wildcard_subscriptions_not_supported) ==
        "wildcard_subscriptions_not_supported");
  CHECK(to_string(static_cast<reason_code>(0x03)) == "unknown_reason_code");
  int named = 0;
  for (int raw = 0; raw < 256; ++raw)
    named += to_string(static_cast<reason_code>(raw)) != "unknown_reason_code" ? 1 : 0;
  CHECK(named == 43);  // table 2-6 of MQTT 5.0 has 43 distinct values
  for (int raw = 1; raw <= 15; ++raw)
    CHECK(to_string(static_cast<packet_type>(raw)) != "RESERVED");
  CHECK(to_string(packet_type::connect) == "CONNECT");
  CHECK(to_string(packet_type::auth) == "AUTH");
  CHECK(to_string(static_cast<packet_type>(0)) == "RESERVED");
}

TEST_CASE("to_v3 maps 5.0 CONNACK reason codes to the 3.x return codes (EMQX's mapping)") {
  CHECK(to_v3(reason_code::success) == connack_v3::accepted);
  CHECK(to_v3(reason_code::unsupported_protocol_version) ==
        connack_v3::unacceptable_protocol_version);
  CHECK(to_v3(reason_code::client_identifier_not_valid) == connack_v3::identifier_rejected);
  CHECK(to_v3(reason_code::bad_user_name_or_password) == connack_v3::bad_user_name_or_password);
  CHECK(to_v3(reason_code::bad_authentication_method) == connack_v3::bad_user_name_or_password);
  CHECK(to_v3(reason_code::not_authorized) == connack_v3::not_authorized);
  CHECK(to_v3(reason_code::banned) == connack_v3::not_authorized);
  CHECK(to_v3(reason_code::server_busy) == connack_v3::server_unavailable);
  CHECK(to_v3(reason_code::unspecified_error) == connack_v3::server_unavailable);
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
