// SPDX-License-Identifier: Apache-2.0
//
// PUBLISH (section 3.3) in 3.1, 3.1.1 and 5.0: wire vectors for each QoS and flag, 5.0
// properties, the publish_view encoder the broker uses for deliveries and its size
// computation, and every reason a PUBLISH is refused.
#include <doctest/doctest.h>

#include <array>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

// 5.0 QoS 1 PUBLISH to "a/b", packet id 1, payload "hi", with the properties a client
// may send (two user properties with the same key are both kept, in order).
constexpr std::string_view publish_v5_props =
    "32 3D 00 03 61 2F 62 00 01 33"
    " 01 01"                                   // payload format: UTF-8
    " 02 00 00 00 1E"                          // message expiry 30
    " 03 00 0A 74 65 78 74 2F 70 6C 61 69 6E"  // content type "text/plain"
    " 08 00 05 72 65 70 6C 79"                 // response topic "reply"
    " 09 00 03 01 02 03"                       // correlation data
    " 23 00 02"                                // topic alias 2
    " 26 00 01 6B 00 01 76"                    // user property k=v
    " 26 00 01 6B 00 01 77"                    // user property k=w
    " 68 69";

TEST_CASE("PUBLISH 3.1 and 3.1.1 at QoS 0, 1 (retain) and 2 (DUP)") {
  for (auto version : {v3_1, v3_1_1}) {
    CAPTURE(static_cast<int>(version));
    const auto q0 = round_trip<publish_packet>("30 07 00 03 61 2F 62 68 69", version);
    CHECK(q0.qos == 0);
    CHECK_FALSE(q0.dup);
    CHECK_FALSE(q0.retain);
    CHECK(q0.topic == "a/b");
    CHECK(q0.packet_id == 0);
    CHECK(q0.payload == "hi");
    CHECK(q0.props == nullptr);

    const auto q1 = round_trip<publish_packet>("33 09 00 03 61 2F 62 00 0A 68 69", version);
    CHECK(q1.qos == 1);
    CHECK(q1.retain);
    CHECK_FALSE(q1.dup);
    CHECK(q1.packet_id == 10);
    CHECK(q1.payload == "hi");

    const auto q2 = round_trip<publish_packet>("3C 09 00 03 61 2F 62 00 0B 68 69", version);
    CHECK(q2.qos == 2);
    CHECK(q2.dup);
    CHECK_FALSE(q2.retain);
    CHECK(q2.packet_id == 11);

    // An empty payload is allowed [MQTT-3.3.3-1 note].
    const auto empty = round_trip<publish_packet>("30 03 00 01 74", version);
    CHECK(empty.payload.empty());
  }
}

TEST_CASE("PUBLISH 5.0 QoS 0 with an empty property block allocates no properties") {
  const auto p = round_trip<publish_packet>("30 08 00 03 61 2F 62 00 68 69", v5);
  CHECK(p.topic == "a/b");
  CHECK(p.payload == "hi");
  CHECK(p.props == nullptr);
}

TEST_CASE(
    "PUBLISH 5.0 with message expiry, topic alias, correlation data, user properties, "
    "content type, response topic and payload format") {
  const auto p = round_trip<publish_packet>(publish_v5_props, v5);
  CHECK(p.qos == 1);
  CHECK(p.packet_id == 1);
  CHECK(p.topic == "a/b");
  CHECK(p.payload == "hi");
  REQUIRE(p.props != nullptr);
  CHECK(p.props->payload_format_indicator == 1);
  CHECK(p.props->message_expiry_interval == 30u);
  CHECK(p.props->content_type == "text/plain");
  CHECK(p.props->response_topic == "reply");
  CHECK(p.props->correlation_data == hex("01 02 03"));
  CHECK(p.props->topic_alias == 2);
  REQUIRE(p.props->user.size() == 2);
  CHECK(p.props->user[0] == std::pair<std::string, std::string>{"k", "v"});
  CHECK(p.props->user[1] == std::pair<std::string, std::string>{"k", "w"});
}

TEST_CASE("PUBLISH 5.0 to a client carries several subscription identifiers [MQTT-3.3.4-4]") {
  const auto p = round_trip<publish_packet>("30 09 00 01 74 05 0B 05 0B 80 01", v5);
  REQUIRE(p.props != nullptr);
  CHECK(p.props->subscription_identifiers == std::vector<std::uint32_t>{5, 128});
  CHECK(p.payload.empty());
}

TEST_CASE("PUBLISH 5.0 with an empty topic and a topic alias is accepted [MQTT-3.3.2-1]") {
  const auto p = round_trip<publish_packet>("30 08 00 00 03 23 00 01 68 69", v5);
  CHECK(p.topic.empty());
  REQUIRE(p.props != nullptr);
  CHECK(p.props->topic_alias == 1);
}

TEST_CASE("PUBLISH with an empty topic and no topic alias is a protocol error [MQTT-3.3.2-1]") {
  CHECK(reject("30 05 00 00 00 68 69", v5) == rc(reason_code::protocol_error));
  CHECK(reject("30 04 00 00 68 69", v3_1_1) == rc(reason_code::protocol_error));
  // A property block without a topic alias does not help.
  CHECK(reject("30 07 00 00 02 01 00 68 69", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("PUBLISH with QoS 3 is malformed [MQTT-3.3.1-4]") {
  CHECK(reject("36 09 00 03 61 2F 62 00 01 68 69", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("37 0A 00 03 61 2F 62 00 01 00 68 69", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("PUBLISH with DUP set at QoS 0 is malformed [MQTT-3.3.1-2]") {
  CHECK(reject("38 07 00 03 61 2F 62 68 69", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("39 08 00 03 61 2F 62 00 68 69", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("PUBLISH at QoS 1 and 2 with packet identifier 0 is malformed [MQTT-2.2.1-3]") {
  CHECK(reject("32 09 00 03 61 2F 62 00 00 68 69", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("34 0A 00 03 61 2F 62 00 00 00 68 69", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("PUBLISH topic with a wildcard is an invalid topic name (0x90) [MQTT-3.3.2-2]") {
  CHECK(reject("30 07 00 03 61 2F 23 68 69", v3_1_1) == rc(reason_code::topic_name_invalid));
  CHECK(reject("30 08 00 03 61 2F 2B 00 68 69", v5) == rc(reason_code::topic_name_invalid));
  CHECK(reject("30 03 00 01 2B", v3_1) == rc(reason_code::topic_name_invalid));
}

TEST_CASE("PUBLISH topic that is not UTF-8 is malformed [MQTT-1.5.4-1] [MQTT-1.5.4-2]") {
  // Over-long NUL (C0 80), a surrogate (ED B0 80), U+0000, a truncated 3-byte form.
  CHECK(reject("30 06 00 02 C0 80 68 69", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 07 00 03 ED B0 80 68 69", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 06 00 02 61 00 68 69", v5) == rc(reason_code::malformed_packet));
  CHECK(reject("30 06 00 02 E2 82 68 69", v5) == rc(reason_code::malformed_packet));
  // strict = false keeps the bytes.
  const auto frame = hex("30 06 00 02 C0 80 68 69");
  auto r = decode_frame(frame, v3_1_1, decode_options{false});
  REQUIRE(r.ok());
  CHECK(std::get<publish_packet>(r.value()).topic == hex("C0 80"));
}

TEST_CASE("PUBLISH 5.0 payload marked UTF-8 that is not: refused (0x99) only when asked") {
  decode_options validate;
  validate.validate_payload_format = true;
  CHECK(reject("30 08 00 01 74 02 01 01 FF FE", v5, validate) ==
        rc(reason_code::payload_format_invalid));
  // Payload format 0 (unspecified bytes) takes anything.
  CHECK(decode_frame(hex("30 08 00 01 74 02 01 00 FF FE"), v5, validate).ok());
  // By default, as EMQX, the payload is forwarded unchecked.
  CHECK(decode_frame(hex("30 08 00 01 74 02 01 01 FF FE"), v5).ok());
}

TEST_CASE("PUBLISH 5.0 response topic with a wildcard is a protocol error") {
  // Properties: response topic "a/#".
  CHECK(reject("30 0B 00 01 74 06 08 00 03 61 2F 23 78", v5) == rc(reason_code::protocol_error));
  CHECK(decode_frame(hex("30 0B 00 01 74 06 08 00 03 61 2F 62 78"), v5).ok());
}

TEST_CASE("PUBLISH truncated in the topic, packet id or property block is malformed") {
  CHECK(reject("30 01 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 03 00 03 61", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("32 04 00 01 74 00", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 03 00 01 74", v5) == rc(reason_code::malformed_packet));  // no property length
  CHECK(reject("30 05 00 01 74 05 23", v5) == rc(reason_code::malformed_packet));
}

TEST_CASE("PUBLISH 5.0 with a property it may not carry is a protocol error") {
  // Session expiry interval (0x11) belongs to CONNECT, CONNACK and DISCONNECT.
  CHECK(reject("30 09 00 01 74 05 11 00 00 00 01", v5) == rc(reason_code::protocol_error));
}

TEST_CASE("PUBLISH 3.x encoding leaves the 5.0 properties out") {
  publish_packet p;
  p.topic = "t";
  p.payload = "x";
  p.props = std::make_unique<properties>();
  p.props->message_expiry_interval = 5;
  CHECK(encoded(packet(std::move(p)), v3_1_1) == "30 04 00 01 74 78");
}

// The view the broker encodes deliveries from: forwarded properties plus the
// per-subscriber message expiry, subscription identifiers and topic alias.
TEST_CASE("encode_publish(publish_view) adds expiry, subscription ids and alias to the props") {
  properties forwarded;
  forwarded.user.emplace_back("k", "v");
  const std::array<std::uint32_t, 2> ids{1, 200};
  publish_view v;
  v.topic = "a/b";
  v.payload = "hi";
  v.qos = 1;
  v.packet_id = 7;
  v.props = &forwarded;
  v.message_expiry = 60;
  v.subscription_ids = ids;
  v.topic_alias = 3;
  bytes out;
  encode_publish(v, v5, out);
  const std::string_view expected =
      "32 1E 00 03 61 2F 62 00 07 14"
      " 26 00 01 6B 00 01 76"  // forwarded user property
      " 02 00 00 00 3C"        // message expiry 60
      " 0B 01"                 // subscription identifier 1
      " 0B C8 01"              // subscription identifier 200
      " 23 00 03"              // topic alias 3
      " 68 69";
  CHECK(to_hex(out) == to_hex(hex(expected)));
  CHECK(publish_size(v, v5) == out.size());

  const auto p = decode_as<publish_packet>(expected, v5);
  CHECK(p.qos == 1);
  CHECK(p.packet_id == 7);
  REQUIRE(p.props != nullptr);
  CHECK(p.props->message_expiry_interval == 60u);
  CHECK(p.props->subscription_identifiers == std::vector<std::uint32_t>{1, 200});
  CHECK(p.props->topic_alias == 3);
  CHECK(p.props->user == forwarded.user);

  // 3.x: the same view without any property.
  bytes v3;
  encode_publish(v, v3_1_1, v3);
  CHECK(to_hex(v3) == "32 09 00 03 61 2F 62 00 07 68 69");
  CHECK(publish_size(v, v3_1_1) == v3.size());
}

TEST_CASE("encode_publish(publish_view) with only a topic alias sends an empty topic") {
  publish_view v;
  v.payload = "hi";
  v.retain = true;
  v.topic_alias = 1;
  bytes out;
  encode_publish(v, v5, out);
  CHECK(to_hex(out) == "31 08 00 00 03 23 00 01 68 69");
  CHECK(publish_size(v, v5) == out.size());
}

TEST_CASE("encode_publish(publish_view) DUP QoS 2 without properties matches the struct encoder") {
  publish_view v;
  v.topic = "a/b";
  v.payload = "hi";
  v.qos = 2;
  v.dup = true;
  v.packet_id = 11;
  for (auto version : {v3_1, v3_1_1, v5}) {
    CAPTURE(static_cast<int>(version));
    bytes from_view;
    encode_publish(v, version, from_view);
    publish_packet p;
    p.topic = "a/b";
    p.payload = "hi";
    p.qos = 2;
    p.dup = true;
    p.packet_id = 11;
    bytes from_struct;
    encode_publish(p, version, from_struct);
    CHECK(to_hex(from_view) == to_hex(from_struct));
    CHECK(publish_size(v, version) == from_view.size());
  }
}

TEST_CASE("publish_size equals the encoded size across remaining-length boundaries") {
  const std::array<std::uint32_t, 1> ids{268435455};
  // v5 adds 6 bytes of properties: the length moves to 2 bytes at payloads 115 (v5) and
  // 121 (3.x), to 3 bytes at 16371 and 16377.
  const std::array<std::size_t, 12> payloads{0,   100,   114,   115,   120,   121,
                                             200, 16370, 16371, 16376, 16377, 20000};
  for (std::size_t payload : payloads) {
    CAPTURE(payload);
    const std::string body(payload, 'x');
    for (auto version : {v3_1_1, v5}) {
      publish_view v;
      v.topic = "t/x";
      v.payload = body;
      v.qos = 1;
      v.packet_id = 1;
      v.subscription_ids = ids;
      bytes out;
      encode_publish(v, version, out);
      CHECK(publish_size(v, version) == out.size());
      const auto p = decode_frame(out, version);
      REQUIRE(p.ok());
      CHECK(std::get<publish_packet>(p.value()).payload.size() == payload);
    }
  }
}

TEST_CASE("PUBLISH of 2 MiB round-trips with a 4-byte remaining length") {
  publish_packet p;
  p.topic = "big";
  p.qos = 1;
  p.packet_id = 9;
  p.payload.assign(std::size_t{2} * 1024 * 1024, 'z');
  bytes out;
  encode_publish(p, v5, out);
  fixed_header h;
  REQUIRE(read_frame(as_span(out), 0, h) == frame_status::complete);
  CHECK(h.header_size == 5);  // 2 MiB + 9 bytes needs the fourth length byte
  const auto back = decode_frame(out, v5);
  REQUIRE(back.ok());
  CHECK(std::get<publish_packet>(back.value()).payload == p.payload);
}

TEST_CASE("PUBLISH topic with a control character is malformed in strict mode only") {
  // Topic "a\x01" and topic "a\xC2\x85" (U+0085).
  CHECK(reject("30 05 00 02 61 01 78", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 06 00 03 61 C2 85 78", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(reject("30 05 00 02 61 7F 78", v3_1_1) == rc(reason_code::malformed_packet));
  CHECK(decode_frame(hex("30 05 00 02 61 01 78"), v3_1_1, decode_options{false}).ok());
  // U+00A0 (C2 A0) is not a control character.
  CHECK(decode_frame(hex("30 06 00 03 61 C2 A0 78"), v3_1_1).ok());
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
