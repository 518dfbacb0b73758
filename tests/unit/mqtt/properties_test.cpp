// SPDX-License-Identifier: Apache-2.0
//
// MQTT 5 properties (section 2.2.2) on their own: table 2-4 (which packet may carry
// which property) checked against the decoder in both directions, a value of every
// property surviving the round trip, and each reason a property block is refused with
// its reason code: duplicates and misplaced properties are protocol errors (0x82),
// unknown identifiers and broken values are malformed (0x81).
#include <doctest/doctest.h>

#include <array>
#include <set>

#include "codec_test_util.hpp"
#include "mqtt/property_codec.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

using ctx = property_context;

constexpr std::array<property_id, 27> all_ids{
    property_id::payload_format_indicator,
    property_id::message_expiry_interval,
    property_id::content_type,
    property_id::response_topic,
    property_id::correlation_data,
    property_id::subscription_identifier,
    property_id::session_expiry_interval,
    property_id::assigned_client_identifier,
    property_id::server_keep_alive,
    property_id::authentication_method,
    property_id::authentication_data,
    property_id::request_problem_information,
    property_id::will_delay_interval,
    property_id::request_response_information,
    property_id::response_information,
    property_id::server_reference,
    property_id::reason_string,
    property_id::receive_maximum,
    property_id::topic_alias_maximum,
    property_id::topic_alias,
    property_id::maximum_qos,
    property_id::retain_available,
    property_id::user_property,
    property_id::maximum_packet_size,
    property_id::wildcard_subscription_available,
    property_id::subscription_identifier_available,
    property_id::shared_subscription_available,
};

constexpr std::array<ctx, 11> all_contexts{
    ctx::connect, ctx::will,        ctx::connack,  ctx::publish,    ctx::puback, ctx::subscribe,
    ctx::suback,  ctx::unsubscribe, ctx::unsuback, ctx::disconnect, ctx::auth,
};

// Table 2-4 of MQTT 5.0, written out independently of the decoder's own table.
std::set<ctx> spec_contexts(property_id id) {
  switch (id) {
    case property_id::payload_format_indicator:
    case property_id::message_expiry_interval:
    case property_id::content_type:
    case property_id::response_topic:
    case property_id::correlation_data:
      return {ctx::publish, ctx::will};
    case property_id::subscription_identifier:
      return {ctx::publish, ctx::subscribe};
    case property_id::session_expiry_interval:
      return {ctx::connect, ctx::connack, ctx::disconnect};
    case property_id::authentication_method:
    case property_id::authentication_data:
      return {ctx::connect, ctx::connack, ctx::auth};
    case property_id::request_problem_information:
    case property_id::request_response_information:
      return {ctx::connect};
    case property_id::will_delay_interval:
      return {ctx::will};
    case property_id::server_reference:
      return {ctx::connack, ctx::disconnect};
    case property_id::reason_string:
      return {ctx::connack, ctx::puback, ctx::suback, ctx::unsuback, ctx::disconnect, ctx::auth};
    case property_id::receive_maximum:
    case property_id::topic_alias_maximum:
    case property_id::maximum_packet_size:
      return {ctx::connect, ctx::connack};
    case property_id::topic_alias:
      return {ctx::publish};
    case property_id::user_property:
      return {all_contexts.begin(), all_contexts.end()};
    default:  // the CONNACK-only capabilities
      return {ctx::connack};
  }
}

// Sets property `id` in `p` to a sample value (the largest or an unusual one).
void set_sample(properties& p, property_id id) {
  switch (id) {
    case property_id::payload_format_indicator:
      p.payload_format_indicator = 1;
      break;
    case property_id::message_expiry_interval:
      p.message_expiry_interval = 0xFFFFFFFF;
      break;
    case property_id::content_type:
      p.content_type = "application/json";
      break;
    case property_id::response_topic:
      p.response_topic = "resp/\xC3\xA9";
      break;
    case property_id::correlation_data:
      p.correlation_data = std::string("\x00\xFF", 2);
      break;
    case property_id::subscription_identifier:
      p.subscription_identifiers = {268435455};
      break;
    case property_id::session_expiry_interval:
      p.session_expiry_interval = 0xFFFFFFFF;
      break;
    case property_id::assigned_client_identifier:
      p.assigned_client_identifier = "id";
      break;
    case property_id::server_keep_alive:
      p.server_keep_alive = 0;
      break;
    case property_id::authentication_method:
      p.authentication_method = "SCRAM-SHA-1";
      break;
    case property_id::authentication_data:
      p.authentication_data = std::string(300, '\0');
      break;
    case property_id::request_problem_information:
      p.request_problem_information = 0;
      break;
    case property_id::will_delay_interval:
      p.will_delay_interval = 1;
      break;
    case property_id::request_response_information:
      p.request_response_information = 1;
      break;
    case property_id::response_information:
      p.response_information = "ri";
      break;
    case property_id::server_reference:
      p.server_reference = "other:1883";
      break;
    case property_id::reason_string:
      p.reason_string = "";
      break;
    case property_id::receive_maximum:
      p.receive_maximum = 65535;
      break;
    case property_id::topic_alias_maximum:
      p.topic_alias_maximum = 0;
      break;
    case property_id::topic_alias:
      p.topic_alias = 65535;
      break;
    case property_id::maximum_qos:
      p.maximum_qos = 0;
      break;
    case property_id::retain_available:
      p.retain_available = 0;
      break;
    case property_id::user_property:
      p.user = {{"k", "v"}, {"k", ""}, {"", "x"}};
      break;
    case property_id::maximum_packet_size:
      p.maximum_packet_size = 268435460;
      break;
    case property_id::wildcard_subscription_available:
      p.wildcard_subscription_available = 1;
      break;
    case property_id::subscription_identifier_available:
      p.subscription_identifier_available = 1;
      break;
    case property_id::shared_subscription_available:
      p.shared_subscription_available = 0;
      break;
  }
}

// A block (with its length) holding just `id` with its sample value.
bytes single(property_id id) {
  properties p;
  set_sample(p, id);
  bytes out;
  encode_properties(p, out);
  return out;
}

// The same without the length: what a packet's block is assembled from.
bytes body_of(property_id id) {
  properties p;
  set_sample(p, id);
  bytes out;
  encode_property_body(p, out);
  return out;
}

// A block made of `body` with the right length in front.
bytes block(std::string_view body) {
  bytes out;
  put_varint(out, static_cast<std::uint32_t>(body.size()));
  out += body;
  return out;
}

result<void> decode_block(std::string_view data, ctx where, properties& out, bool strict = true) {
  wire_reader r(as_span(data));
  auto st = decode_properties(r, where, strict, out);
  if (st) CHECK(r.remaining() == 0);
  return st;
}

int refuse(std::string_view data, ctx where) {
  properties p;
  auto st = decode_block(data, where, p);
  REQUIRE_FALSE(st.ok());
  return st.err().code;
}

TEST_CASE("property_allowed follows table 2-4 for every property and packet") {
  for (auto id : all_ids) {
    const auto allowed = spec_contexts(id);
    for (auto where : all_contexts) {
      CAPTURE(static_cast<int>(id));
      CAPTURE(static_cast<int>(where));
      CHECK(property_allowed(id, where) == (allowed.count(where) == 1));
    }
  }
}

TEST_CASE("every property decodes where table 2-4 allows it and is a protocol error elsewhere") {
  for (auto id : all_ids) {
    const auto data = single(id);
    properties expected;
    set_sample(expected, id);
    for (auto where : all_contexts) {
      CAPTURE(static_cast<int>(id));
      CAPTURE(static_cast<int>(where));
      properties got;
      auto st = decode_block(data, where, got);
      if (property_allowed(id, where)) {
        REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.err().message));
        CHECK(got == expected);
      } else {
        REQUIRE_FALSE(st.ok());
        CHECK(st.err().code == rc(reason_code::protocol_error));
      }
    }
  }
}

TEST_CASE("all properties of a packet encode in properties_size bytes and decode back") {
  for (auto where : all_contexts) {
    CAPTURE(static_cast<int>(where));
    properties p;
    for (auto id : all_ids)
      if (property_allowed(id, where)) set_sample(p, id);
    bytes out;
    encode_properties(p, out);
    CHECK(out.size() == properties_size(p));
    CHECK(property_body_size(p) + varint_size(static_cast<std::uint32_t>(property_body_size(p))) ==
          out.size());
    properties back;
    auto st = decode_block(out, where, back);
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? std::string() : st.err().message));
    CHECK(back == p);
  }
}

TEST_CASE("an empty properties struct is the one-byte block 00") {
  bytes out;
  encode_properties(properties{}, out);
  CHECK(to_hex(out) == "00");
  CHECK(properties_size(properties{}) == 1);
}

TEST_CASE("a property included twice is a protocol error (section 2.2.2.2)") {
  for (auto id : all_ids) {
    if (id == property_id::user_property) continue;
    const auto one = body_of(id);
    for (auto where : all_contexts) {
      if (!property_allowed(id, where)) continue;
      if (id == property_id::subscription_identifier && where == ctx::publish) continue;
      CAPTURE(static_cast<int>(id));
      CAPTURE(static_cast<int>(where));
      CHECK(refuse(block(one + one), where) == rc(reason_code::protocol_error));
    }
  }
}

TEST_CASE("user properties and PUBLISH subscription identifiers may repeat") {
  properties p;
  REQUIRE(decode_block(hex("0C 26 00 01 61 00 00 26 00 01 61 00 00"), ctx::puback, p).ok());
  CHECK(p.user.size() == 2);
  properties q;
  REQUIRE(decode_block(hex("06 0B 01 0B 02 0B 03"), ctx::publish, q).ok());
  CHECK(q.subscription_identifiers == std::vector<std::uint32_t>{1, 2, 3});
}

TEST_CASE("an unknown property identifier is malformed") {
  for (std::string_view body : {"00 00", "04 00", "05 00", "07 00", "0A 00", "0C 00", "0D 00",
                                "0E 00", "0F 00", "10 00", "14 00", "1B 00", "1D 00", "1E 00",
                                "20 00", "2B 00", "7F 00", "80 01 00", "FF FF FF 7F 00"}) {
    CAPTURE(body);
    CHECK(refuse(block(hex(body)), ctx::connack) == rc(reason_code::malformed_packet));
  }
}

TEST_CASE("a property identifier or block length of five varint bytes is malformed") {
  CHECK(refuse(block(hex("80 80 80 80 01")), ctx::connect) == rc(reason_code::malformed_packet));
  CHECK(refuse(hex("FF FF FF FF 01"), ctx::connect) == rc(reason_code::malformed_packet));
  CHECK(refuse(hex(""), ctx::connect) == rc(reason_code::malformed_packet));
  CHECK(refuse(hex("05 11 00"), ctx::connect) == rc(reason_code::malformed_packet));
}

TEST_CASE("a property value cut short is malformed") {
  for (auto id : all_ids) {
    auto body = body_of(id);
    CAPTURE(static_cast<int>(id));
    body.pop_back();
    const auto where = *spec_contexts(id).begin();
    CHECK(refuse(block(body), where) == rc(reason_code::malformed_packet));
  }
}

TEST_CASE(
    "receive maximum 0, maximum packet size 0 and subscription identifier 0 are "
    "protocol errors") {
  CHECK(refuse(hex("03 21 00 00"), ctx::connect) == rc(reason_code::protocol_error));
  CHECK(refuse(hex("03 21 00 00"), ctx::connack) == rc(reason_code::protocol_error));
  CHECK(refuse(hex("05 27 00 00 00 00"), ctx::connect) == rc(reason_code::protocol_error));
  CHECK(refuse(hex("02 0B 00"), ctx::subscribe) == rc(reason_code::protocol_error));
  CHECK(refuse(hex("02 0B 00"), ctx::publish) == rc(reason_code::protocol_error));
}

TEST_CASE("one-byte properties other than 0 or 1 are protocol errors") {
  for (std::string_view body :
       {"01 02", "17 02", "19 FF", "24 02", "25 02", "28 02", "29 02", "2A 02"}) {
    CAPTURE(body);
    const auto b = hex(body);
    const auto where = *spec_contexts(static_cast<property_id>(b[0])).begin();
    CHECK(refuse(block(b), where) == rc(reason_code::protocol_error));
  }
}

TEST_CASE("strings in properties must be UTF-8 but binary data need not be [MQTT-1.5.4-1]") {
  // User property with an over-long key, with a surrogate value, with U+0000.
  CHECK(refuse(hex("08 26 00 02 C0 80 00 01 76"), ctx::connect) ==
        rc(reason_code::malformed_packet));
  CHECK(refuse(hex("09 26 00 01 6B 00 03 ED A0 80"), ctx::connect) ==
        rc(reason_code::malformed_packet));
  CHECK(refuse(hex("07 26 00 01 00 00 01 76"), ctx::publish) == rc(reason_code::malformed_packet));
  // Reason string ending inside a 2-byte form; content type with 0xFF.
  CHECK(refuse(hex("05 1F 00 02 61 C3"), ctx::puback) == rc(reason_code::malformed_packet));
  CHECK(refuse(hex("04 03 00 01 FF"), ctx::publish) == rc(reason_code::malformed_packet));
  // Correlation and authentication data are binary.
  properties p;
  CHECK(decode_block(hex("04 09 00 01 FF"), ctx::publish, p).ok());
  CHECK(decode_block(hex("0B 15 00 01 61 16 00 04 00 C0 80 FF"), ctx::auth, p).ok());
  // With strict off, strings are taken as they are.
  properties q;
  CHECK(decode_block(hex("08 26 00 02 C0 80 00 01 76"), ctx::connect, q, false).ok());
  CHECK(q.user[0].first == hex("C0 80"));
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
