// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the codec tests: packets are written as hex strings straight from
// the specification's wire format, run through read_frame and decode as the broker
// does, and compared back as hex so a failure prints the bytes that differ.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "mqtt/codec.hpp"

namespace emqx_cpp::mqtt::test {

constexpr protocol_version v3_1 = protocol_version::v3_1;
constexpr protocol_version v3_1_1 = protocol_version::v3_1_1;
constexpr protocol_version v5 = protocol_version::v5;

// "10 0F 00 04" -> the bytes; spaces and line breaks are ignored.
inline bytes hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes out;
  int high = -1;
  for (char c : text) {
    const int n = nibble(c);
    if (n < 0) continue;
    if (high < 0) {
      high = n;
    } else {
      out.push_back(static_cast<char>((high << 4) | n));
      high = -1;
    }
  }
  REQUIRE_MESSAGE(high < 0, "odd number of hex digits in ", text);
  return out;
}

// The bytes as upper-case hex pairs separated by spaces, for readable comparisons.
inline std::string to_hex(std::string_view data) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : data) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0F]);
  }
  return out;
}

inline std::span<const std::uint8_t> as_span(std::string_view data) {
  return {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
}

constexpr int rc(reason_code code) {
  return static_cast<int>(code);
}

// One whole frame through read_frame and decode; the frame must be exactly `frame`.
inline result<packet> decode_frame(std::string_view frame, protocol_version version,
                                   decode_options opts = {}) {
  fixed_header h;
  const auto in = as_span(frame);
  REQUIRE(read_frame(in, 0, h) == frame_status::complete);
  REQUIRE(h.frame_size() == frame.size());
  return decode(h, in.subspan(h.header_size, h.remaining_length), version, opts);
}

// Decodes `hex_frame` and returns the packet, which must be a T.
template <class T>
T decode_as(std::string_view hex_frame, protocol_version version) {
  auto r = decode_frame(hex(hex_frame), version);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.err().message));
  REQUIRE(std::holds_alternative<T>(r.value()));
  return std::get<T>(std::move(r).value());
}

// The reason code `hex_frame` is refused with.
inline int reject(std::string_view hex_frame, protocol_version version, decode_options opts = {}) {
  auto r = decode_frame(hex(hex_frame), version, opts);
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(r.err().message.empty());
  return r.err().code;
}

inline std::string encoded(const packet& p, protocol_version version) {
  bytes out;
  encode(p, version, out);
  return to_hex(out);
}

// The vector decodes to a T, and that T encodes back to the same bytes.
template <class T>
T round_trip(std::string_view hex_frame, protocol_version version) {
  T p = decode_as<T>(hex_frame, version);
  bytes out;
  encode(packet(std::move(p)), version, out);
  CHECK(to_hex(out) == to_hex(hex(hex_frame)));
  return decode_as<T>(hex_frame, version);
}

}  // namespace emqx_cpp::mqtt::test
