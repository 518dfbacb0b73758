// SPDX-License-Identifier: Apache-2.0
//
// Reading and writing MQTT's primitive types (section 1.5): big-endian integers,
// variable byte integers, length-prefixed strings and binary data. The reader never
// reads past its span and reports a short or bad field instead; the writer appends to
// a byte string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace emqx_cpp::mqtt {

using bytes = std::string;  // binary-safe, cheap to append to

class wire_reader {
 public:
  explicit wire_reader(std::span<const std::uint8_t> data) : data_(data) {}

  bool u8(std::uint8_t& out);
  bool u16(std::uint16_t& out);
  bool u32(std::uint32_t& out);
  // Variable byte integer: at most 4 bytes, value < 268435456.
  bool varint(std::uint32_t& out);
  // Two-byte length then that many bytes; the view points into the input.
  bool binary(std::string_view& out);
  bool take(std::size_t n, std::string_view& out);

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  std::string_view rest() const;

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

void put_u8(bytes& out, std::uint8_t v);
void put_u16(bytes& out, std::uint16_t v);
void put_u32(bytes& out, std::uint32_t v);
void put_varint(bytes& out, std::uint32_t v);
void put_binary(bytes& out, std::string_view v);  // two-byte length + bytes
std::size_t varint_size(std::uint32_t v);

// Well-formed UTF-8 with none of what [MQTT-1.5.4-1]/[MQTT-1.5.4-2] forbid: surrogates,
// over-long forms, code points above U+10FFFF, and U+0000. With `allow_control` false,
// also none of the control characters U+0001..U+001F, U+007F..U+009F that a string
// SHOULD NOT contain (section 1.5.4), which EMQX's strict mode refuses in topic names.
bool valid_utf8(std::string_view s, bool allow_control = true);

}  // namespace emqx_cpp::mqtt
