// SPDX-License-Identifier: Apache-2.0
//
// MQTT's primitive types (section 1.5): big-endian integers, variable byte integers at
// their size boundaries, length-prefixed strings, and the UTF-8 rules of 1.5.4
// (well-formed, no surrogates, no over-long forms, nothing above U+10FFFF, no U+0000).
#include <doctest/doctest.h>

#include <array>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

TEST_CASE("variable byte integers at the boundaries of table 1.1 (1.5.5)") {
  struct row {
    std::uint32_t value;
    std::string_view encoding;
  };
  const row rows[] = {
      {0, "00"},
      {1, "01"},
      {127, "7F"},
      {128, "80 01"},
      {16383, "FF 7F"},
      {16384, "80 80 01"},
      {2097151, "FF FF 7F"},
      {2097152, "80 80 80 01"},
      {268435455, "FF FF FF 7F"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.value);
    bytes out;
    put_varint(out, r.value);
    CHECK(to_hex(out) == to_hex(hex(r.encoding)));
    CHECK(varint_size(r.value) == out.size());
    wire_reader reader(as_span(out));
    std::uint32_t back = 0;
    REQUIRE(reader.varint(back));
    CHECK(back == r.value);
    CHECK(reader.remaining() == 0);
  }
}

TEST_CASE("a variable byte integer cut short or with a fifth byte is refused") {
  std::uint32_t v = 0;
  const auto cut = hex("80 80");
  wire_reader short_reader(as_span(cut));
  CHECK_FALSE(short_reader.varint(v));
  const auto five = hex("FF FF FF FF 7F");
  wire_reader long_reader(as_span(five));
  CHECK_FALSE(long_reader.varint(v));
  wire_reader empty(std::span<const std::uint8_t>{});
  CHECK_FALSE(empty.varint(v));
}

TEST_CASE("a non-minimal variable byte integer still reads its value") {
  // The encoder always writes the shortest form; the reader is lenient, as EMQX's is.
  const auto data = hex("80 00");
  wire_reader r(as_span(data));
  std::uint32_t v = 1;
  REQUIRE(r.varint(v));
  CHECK(v == 0);
}

TEST_CASE("two- and four-byte integers are big-endian (1.5.2, 1.5.3)") {
  bytes out;
  put_u8(out, 0xAB);
  put_u16(out, 0x1234);
  put_u32(out, 0xDEADBEEF);
  CHECK(to_hex(out) == "AB 12 34 DE AD BE EF");
  wire_reader r(as_span(out));
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  REQUIRE(r.u8(a));
  REQUIRE(r.u16(b));
  CHECK(r.position() == 3);
  REQUIRE(r.u32(c));
  CHECK(a == 0xAB);
  CHECK(b == 0x1234);
  CHECK(c == 0xDEADBEEF);
  CHECK(r.remaining() == 0);
  CHECK_FALSE(r.u8(a));
  CHECK_FALSE(r.u16(b));
  CHECK_FALSE(r.u32(c));
  // A failed read consumes nothing.
  const auto three = hex("01 02 03");
  wire_reader s(as_span(three));
  CHECK_FALSE(s.u32(c));
  CHECK(s.remaining() == 3);
  CHECK(s.rest() == three);
}

TEST_CASE("strings and binary data carry a two-byte length (1.5.4, 1.5.6)") {
  bytes out;
  put_binary(out, "MQTT");
  put_binary(out, "");
  CHECK(to_hex(out) == "00 04 4D 51 54 54 00 00");
  wire_reader r(as_span(out));
  std::string_view a;
  std::string_view b;
  REQUIRE(r.binary(a));
  REQUIRE(r.binary(b));
  CHECK(a == "MQTT");
  CHECK(b.empty());
  // A length running past the data fails.
  const auto cut = hex("00 05 61 62");
  wire_reader c(as_span(cut));
  CHECK_FALSE(c.binary(a));
  std::string_view taken;
  wire_reader d(as_span(cut));
  CHECK(d.take(2, taken));
  CHECK(taken == hex("00 05"));
  CHECK_FALSE(d.take(3, taken));
}

TEST_CASE("valid_utf8 accepts well-formed text at every encoding length [MQTT-1.5.4-1]") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii / with \x7F"));
  CHECK(valid_utf8("\xC2\x80"));           // U+0080, smallest 2-byte
  CHECK(valid_utf8("\xDF\xBF"));           // U+07FF
  CHECK(valid_utf8("\xE0\xA0\x80"));       // U+0800, smallest 3-byte
  CHECK(valid_utf8("\xED\x9F\xBF"));       // U+D7FF, just below the surrogates
  CHECK(valid_utf8("\xEE\x80\x80"));       // U+E000, just above them
  CHECK(valid_utf8("\xEF\xBB\xBF"));       // U+FEFF (BOM) is not skipped [MQTT-1.5.4-3]
  CHECK(valid_utf8("\xEF\xBF\xBF"));       // U+FFFF
  CHECK(valid_utf8("\xF0\x90\x80\x80"));   // U+10000, smallest 4-byte
  CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF, the largest code point
  CHECK(valid_utf8("A\xF0\xAA\x9B\x94"));  // U+2A6D4 from the spec's example
  CHECK(valid_utf8("\x01"));               // control characters are allowed (SHOULD NOT)
}

TEST_CASE("valid_utf8 refuses U+0000 [MQTT-1.5.4-2]") {
  CHECK_FALSE(valid_utf8(std::string_view("\0", 1)));
  CHECK_FALSE(valid_utf8(std::string_view("a\0b", 3)));
}

TEST_CASE(
    "valid_utf8 refuses surrogates, over-long forms, too-large code points, broken "
    "sequences [MQTT-1.5.4-1]") {
  const char* bad[] = {
      "\xED\xA0\x80",              // U+D800, first surrogate
      "\xED\xBF\xBF",              // U+DFFF, last surrogate
      "\xC0\x80",                  // over-long U+0000
      "\xC0\xAF",                  // over-long '/'
      "\xC1\xBF",                  // over-long U+007F
      "\xE0\x80\xAF",              // over-long '/' in 3 bytes
      "\xE0\x9F\xBF",              // over-long U+07FF
      "\xF0\x80\x80\xAF",          // over-long '/' in 4 bytes
      "\xF0\x8F\xBF\xBF",          // over-long U+FFFF
      "\xF4\x90\x80\x80",          // U+110000
      "\xF5\x80\x80\x80",          // lead byte above F4
      "\xF8\x88\x80\x80\x80",      // 5-byte form
      "\xFC\x84\x80\x80\x80\x80",  // 6-byte form
      "\xFE",
      "\xFF",
      "\x80",  // continuation byte without a lead
      "a\xBF",
      "\xC3",          // truncated 2-byte
      "\xE2\x82",      // truncated 3-byte
      "\xF0\x9F\x98",  // truncated 4-byte
      "\xC3\x28",      // second byte not a continuation
      "\xE2\x28\xA1",
      "\xF0\x90\x28\xBC",
      "ok\xE2\x82",  // truncated after valid text
  };
  for (const char* s : bad) {
    CAPTURE(to_hex(s));
    CHECK_FALSE(valid_utf8(s));
  }
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
