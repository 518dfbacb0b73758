// SPDX-License-Identifier: Apache-2.0
//
// PUBACK, PUBREC, PUBREL and PUBCOMP (sections 3.4 to 3.7) in 3.1, 3.1.1 and 5.0: the
// short two-byte form, the 5.0 reason code with and without properties, and what the
// decoder refuses: reserved flags, packet identifier 0, trailing bytes, properties
// that do not belong.
#include <doctest/doctest.h>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

struct ack_kind {
  packet_type type;
  const char* first_byte;  // fixed header byte in hex
};

constexpr ack_kind acks[] = {
    {packet_type::puback, "40"},
    {packet_type::pubrec, "50"},
    {packet_type::pubrel, "62"},  // PUBREL carries flags 0b0010 [MQTT-3.6.1-1]
    {packet_type::pubcomp, "70"},
};

std::string frame(const ack_kind& k, std::string_view rest) {
  return std::string(k.first_byte) + " " + std::string(rest);
}

TEST_CASE("PUBACK, PUBREC, PUBREL and PUBCOMP 3.1 and 3.1.1: packet identifier only") {
  for (const auto& k : acks) {
    for (auto version : {v3_1, v3_1_1}) {
      CAPTURE(to_string(k.type));
      CAPTURE(static_cast<int>(version));
      const auto a = round_trip<ack_packet>(frame(k, "02 00 0A"), version);
      CHECK(a.type == k.type);
      CHECK(a.packet_id == 10);
      CHECK(a.code == reason_code::success);
      CHECK(a.props == properties{});
    }
  }
}

TEST_CASE("acks 5.0 with success and no properties use the short form") {
  for (const auto& k : acks) {
    CAPTURE(to_string(k.type));
    const auto a = round_trip<ack_packet>(frame(k, "02 FF FF"), v5);
    CHECK(a.type == k.type);
    CHECK(a.packet_id == 0xFFFF);
    CHECK(a.code == reason_code::success);
  }
}

TEST_CASE("acks 5.0 with a reason code and no property length") {
  const auto puback = round_trip<ack_packet>("40 03 00 0A 10", v5);
  CHECK(puback.code == reason_code::no_matching_subscribers);
  const auto pubrec = round_trip<ack_packet>("50 03 00 0B 91", v5);
  CHECK(pubrec.code == reason_code::packet_identifier_in_use);
  const auto pubrel = round_trip<ack_packet>("62 03 00 0C 92", v5);
  CHECK(pubrel.type == packet_type::pubrel);
  CHECK(pubrel.code == reason_code::packet_identifier_not_found);
  const auto pubcomp = round_trip<ack_packet>("70 03 00 0D 92", v5);
  CHECK(pubcomp.code == reason_code::packet_identifier_not_found);
}

TEST_CASE("acks 5.0 with a reason code, reason string and user property") {
  for (const auto& k : acks) {
    CAPTURE(to_string(k.type));
    const auto a = round_trip<ack_packet>(
        frame(k, "12 00 0A 80 0E 1F 00 04 6F 6F 70 73 26 00 01 6B 00 01 76"), v5);
    CHECK(a.type == k.type);
    CHECK(a.packet_id == 10);
    CHECK(a.code == reason_code::unspecified_error);
    CHECK(a.props.reason_string == "oops");
    REQUIRE(a.props.user.size() == 1);
    CHECK(a.props.user[0] == std::pair<std::string, std::string>{"k", "v"});
  }
}

TEST_CASE("acks 5.0 with success and properties keep the reason code byte") {
  const auto a = round_trip<ack_packet>("40 0A 00 01 00 06 1F 00 03 61 62 63", v5);
  CHECK(a.code == reason_code::success);
  CHECK(a.props.reason_string == "abc");
}

TEST_CASE("acks 5.0 with an explicit success code and empty properties re-encode short") {
  const auto a = decode_as<ack_packet>("40 04 00 0A 00 00", v5);
  CHECK(a.code == reason_code::success);
  CHECK(encoded(a, v5) == "40 02 00 0A");
}

TEST_CASE("acks 3.x encoding drops the 5.0 reason code and properties") {
  ack_packet a;
  a.type = packet_type::pubrec;
  a.packet_id = 3;
  a.code = reason_code::quota_exceeded;
  a.props.reason_string = "full";
  CHECK(encoded(a, v3_1_1) == "50 02 00 03");
  CHECK(encoded(a, v5) == "50 0B 00 03 97 07 1F 00 04 66 75 6C 6C");
}

TEST_CASE("acks with packet identifier 0 are malformed [MQTT-2.2.1-3]") {
  for (const auto& k : acks) {
    CAPTURE(to_string(k.type));
    CHECK(reject(frame(k, "02 00 00"), v3_1_1) == rc(reason_code::malformed_packet));
    CHECK(reject(frame(k, "03 00 00 10"), v5) == rc(reason_code::malformed_packet));
  }
}

TEST_CASE("PUBACK, PUBREC and PUBCOMP with reserved flags set are malformed [MQTT-2.2.2-2]") {
  CHECK(reject("42 02 00 0A", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("51 02 00 0A", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("78 02 00 0A", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("PUBREL without flags 0b0010 is malformed [MQTT-3.6.1-1]") {
  CHECK(reject("60 02 00 0A", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("63 02 00 0A", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("6A 02 00 0A", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("acks truncated or with bytes past their end are malformed") {
  CHECK(reject("40 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("40 00", v5) == rc(reason_code::malformed_packet));
  // 3.x has no reason code: a third byte is trailing garbage.
  CHECK(reject("40 03 00 0A 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("62 03 00 0A 00", v3_1) == rc(reason_code::malformed_packet));
  // 5.0: the property block runs past the packet, or bytes follow it.
  CHECK(reject("40 04 00 0A 00 05", v5) == rc(reason_code::malformed_packet));
  CHECK(reject("40 05 00 0A 00 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("acks 5.0 with a property other than reason string and user property") {
  // Topic alias (0x23) is a PUBLISH property: protocol error.
  CHECK(reject("40 07 00 0A 00 03 23 00 01", v5) == rc(reason_code::protocol_error));
  // A reason string given twice: protocol error.
  CHECK(reject("40 0C 00 0A 00 08 1F 00 01 61 1F 00 01 62", v5) == rc(reason_code::protocol_error));
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
