// SPDX-License-Identifier: Apache-2.0
//
// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (sections 3.8 to 3.11) in 3.1, 3.1.1 and
// 5.0: wire vectors with every subscription option bit and the 5.0 properties, and the
// decoder's refusals: reserved flags, packet identifier 0, no filter, reserved option
// bits, retain handling 3, a second subscription identifier.
#include <doctest/doctest.h>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

TEST_CASE("SUBSCRIBE 3.1 and 3.1.1 with two filters and their requested QoS") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto s =
        round_trip<subscribe_packet>("82 0C 00 01 00 03 61 2F 62 01 00 01 23 02", version);
    CHECK(s.packet_id == 1);
    REQUIRE(s.entries.size() == 2);
    CHECK(s.entries[0].filter == "a/b");
    CHECK(s.entries[0].options == subscription_options{1, false, false, 0});
    CHECK(s.entries[1].filter == "#");
    CHECK(s.entries[1].options == subscription_options{2, false, false, 0});
    CHECK(s.props == properties{});
  }
}

TEST_CASE("SUBSCRIBE 5.0 with subscription identifier, user property and all option bits") {
  const auto s = round_trip<subscribe_packet>(
      "82 1B 00 02 0A"
      " 0B 80 01"              // subscription identifier 128
      " 26 00 01 6B 00 01 76"  // user property k=v
      " 00 03 61 2F 62 2E"     // QoS 2, no local, retain as published, retain handling 2
      " 00 01 63 11"           // QoS 1, retain handling 1
      " 00 01 64 00",          // QoS 0, nothing else
      v5);
  CHECK(s.packet_id == 2);
  CHECK(s.props.subscription_identifiers == std::vector<std::uint32_t>{128});
  REQUIRE(s.props.user.size() == 1);
  REQUIRE(s.entries.size() == 3);
  CHECK(s.entries[0].filter == "a/b");
  CHECK(s.entries[0].options == subscription_options{2, true, true, 2});
  CHECK(s.entries[1].filter == "c");
  CHECK(s.entries[1].options == subscription_options{1, false, false, 1});
  CHECK(s.entries[2].filter == "d");
  CHECK(s.entries[2].options == subscription_options{});
}

TEST_CASE("SUBSCRIBE 3.x encoding leaves the 5.0 option bits and properties out") {
  subscribe_packet s;
  s.packet_id = 5;
  s.entries.push_back({"x", subscription_options{1, true, true, 2}});
  s.props.subscription_identifiers.push_back(3);
  CHECK(encoded(s, v3_1_1) == "82 06 00 05 00 01 78 01");
  CHECK(encoded(s, v5) == "82 09 00 05 02 0B 03 00 01 78 2D");
}

TEST_CASE("SUBSCRIBE without flags 0b0010 is malformed [MQTT-3.8.1-1]") {
  CHECK(reject("80 06 00 01 00 01 61 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("83 07 00 01 00 00 01 61 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE with packet identifier 0 is malformed [MQTT-2.2.1-3]") {
  CHECK(reject("82 06 00 00 00 01 61 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 07 00 00 00 00 01 61 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE with no topic filter is a protocol error [MQTT-3.8.3-2]") {
  CHECK(reject("82 02 00 01", v3_1_1) == rc(reason_code::protocol_error));
  CHECK(reject("82 03 00 01 00", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("SUBSCRIBE with requested QoS 3 is malformed [MQTT-3-8.3-4]") {
  CHECK(reject("82 06 00 01 00 01 61 03", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 07 00 01 00 00 01 61 03", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE 3.x with any option bit above the QoS is malformed [MQTT-3-8.3-4]") {
  CHECK(reject("82 06 00 01 00 01 61 04", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 06 00 01 00 01 61 80", v3_1) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE 5.0 with reserved option bits 6-7 set is malformed [MQTT-3.8.3-5]") {
  CHECK(reject("82 07 00 01 00 00 01 61 40", v5) == rc(reason_code::malformed_packet));
  CHECK(reject("82 07 00 01 00 00 01 61 80", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE 5.0 with retain handling 3 is a protocol error") {
  CHECK(reject("82 07 00 01 00 00 01 61 30", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("SUBSCRIBE with a filter or options byte cut short is malformed") {
  CHECK(reject("82 05 00 01 00 01 61", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 05 00 01 00 05 61", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 01 00", v3_1_1) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE filter that is not UTF-8 is malformed [MQTT-1.5.4-1]") {
  CHECK(reject("82 07 00 01 00 02 C1 BF 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("82 08 00 01 00 00 02 61 00 00", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("SUBSCRIBE 5.0 subscription identifier 0 or twice is a protocol error") {
  CHECK(reject("82 09 00 01 02 0B 00 00 01 61 00", v5) == rc(reason_code::protocol_error));
  CHECK(reject("82 0B 00 01 04 0B 01 0B 02 00 01 61 00", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("SUBACK 3.1 and 3.1.1: granted QoS 0, 1, 2 and failure 0x80") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto s = round_trip<suback_packet>("90 06 00 01 00 01 02 80", version);
    CHECK(s.packet_id == 1);
    CHECK(s.codes == std::vector<reason_code>{reason_code::success, reason_code::granted_qos_1,
                                              reason_code::granted_qos_2,
                                              reason_code::unspecified_error});
  }
}

TEST_CASE("SUBACK 5.0 with a reason string and 5.0 reason codes") {
  const auto s = round_trip<suback_packet>("90 0E 00 02 05 1F 00 02 6E 6F 00 01 02 87 8F A2", v5);
  CHECK(s.packet_id == 2);
  CHECK(s.props.reason_string == "no");
  CHECK(s.codes == std::vector<reason_code>{reason_code::success, reason_code::granted_qos_1,
                                            reason_code::granted_qos_2, reason_code::not_authorized,
                                            reason_code::topic_filter_invalid,
                                            reason_code::wildcard_subscriptions_not_supported});
}

TEST_CASE("SUBACK 3.x encodes every 5.0 failure code as 0x80") {
  suback_packet s;
  s.packet_id = 2;
  s.codes = {reason_code::granted_qos_1, reason_code::not_authorized,
             reason_code::shared_subscriptions_not_supported};
  s.props.reason_string = "x";
  CHECK(encoded(s, v3_1_1) == "90 05 00 02 01 80 80");
}

TEST_CASE("SUBACK truncated is malformed") {
  CHECK(reject("90 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("90 02 00 01", v5) == rc(reason_code::malformed_packet));  // no property length
  CHECK(reject("91 03 00 01 00", v3_1_1) == rc(reason_code::malformed_packet));  // flags
}

TEST_CASE("UNSUBSCRIBE 3.1 and 3.1.1 with two filters") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto u = round_trip<unsubscribe_packet>("A2 0A 00 03 00 03 61 2F 62 00 01 23", version);
    CHECK(u.packet_id == 3);
    CHECK(u.filters == std::vector<std::string>{"a/b", "#"});
  }
}

TEST_CASE("UNSUBSCRIBE 5.0 with a user property") {
  const auto u = round_trip<unsubscribe_packet>(
      "A2 12 00 04 07 26 00 01 6B 00 01 76 00 03 61 2F 62 00 01 23", v5);
  CHECK(u.packet_id == 4);
  REQUIRE(u.props.user.size() == 1);
  CHECK(u.props.user[0] == std::pair<std::string, std::string>{"k", "v"});
  CHECK(u.filters == std::vector<std::string>{"a/b", "#"});
}

TEST_CASE("UNSUBSCRIBE without flags 0b0010 is malformed [MQTT-3.10.1-1]") {
  CHECK(reject("A0 05 00 01 00 01 61", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("AA 06 00 01 00 00 01 61", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("UNSUBSCRIBE with packet identifier 0 is malformed [MQTT-2.2.1-3]") {
  CHECK(reject("A2 05 00 00 00 01 61", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("A2 06 00 00 00 00 01 61", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("UNSUBSCRIBE with no topic filter is a protocol error [MQTT-3.10.3-2]") {
  CHECK(reject("A2 02 00 01", v3_1_1) == rc(reason_code::protocol_error));
  CHECK(reject("A2 03 00 01 00", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("UNSUBSCRIBE truncated, non-UTF-8 or with a SUBSCRIBE property is refused") {
  CHECK(reject("A2 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("A2 04 00 01 00 02", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("A2 06 00 01 00 02 ED BF", v3_1_1) == rc(reason_code::malformed_packet));
  // The subscription identifier (0x0B) is not an UNSUBSCRIBE property.
  CHECK(reject("A2 08 00 01 02 0B 01 00 01 61", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("UNSUBACK 3.1 and 3.1.1: packet identifier only") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto u = round_trip<unsuback_packet>("B0 02 00 03", version);
    CHECK(u.packet_id == 3);
    CHECK(u.codes.empty());
  }
}

TEST_CASE("UNSUBACK 5.0 with a reason string and one reason code per filter") {
  const auto u = round_trip<unsuback_packet>("B0 0B 00 04 04 1F 00 01 78 00 11 87 8F", v5);
  CHECK(u.packet_id == 4);
  CHECK(u.props.reason_string == "x");
  CHECK(u.codes ==
        std::vector<reason_code>{reason_code::success, reason_code::no_subscription_existed,
                                 reason_code::not_authorized, reason_code::topic_filter_invalid});
}

TEST_CASE("UNSUBACK 3.x encoding leaves out the 5.0 codes and properties") {
  unsuback_packet u;
  u.packet_id = 4;
  u.codes = {reason_code::success};
  u.props.reason_string = "x";
  CHECK(encoded(u, v3_1_1) == "B0 02 00 04");
}

TEST_CASE("UNSUBACK truncated, with trailing bytes in 3.x or reserved flags is malformed") {
  CHECK(reject("B0 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("B0 03 00 04 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("B0 02 00 04", v5) == rc(reason_code::malformed_packet));
  CHECK(reject("B2 02 00 04", v3_1_1) == rc(reason_code::malformed_packet));
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
