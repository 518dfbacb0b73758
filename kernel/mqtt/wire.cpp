// SPDX-License-Identifier: Apache-2.0
#include "mqtt/wire.hpp"

namespace emqx_cpp::mqtt {

bool wire_reader::u8(std::uint8_t& out) {
  if (remaining() < 1) return false;
  out = data_[pos_++];
  return true;
}

bool wire_reader::u16(std::uint16_t& out) {
  if (remaining() < 2) return false;
  out = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool wire_reader::u32(std::uint32_t& out) {
  if (remaining() < 4) return false;
  out = (static_cast<std::uint32_t>(data_[pos_]) << 24) |
        (static_cast<std::uint32_t>(data_[pos_ + 1]) << 16) |
        (static_cast<std::uint32_t>(data_[pos_ + 2]) << 8) | data_[pos_ + 3];
  pos_ += 4;
  return true;
}

bool wire_reader::varint(std::uint32_t& out) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    std::uint8_t b = 0;
    if (!u8(b)) return false;
    value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      out = value;
      return true;
    }
  }
  return false;  // a fifth continuation byte is malformed
}

bool wire_reader::take(std::size_t n, std::string_view& out) {
  if (remaining() < n) return false;
  out = std::string_view(reinterpret_cast<const char*>(data_.data()) + pos_, n);
  pos_ += n;
  return true;
}

bool wire_reader::binary(std::string_view& out) {
  std::uint16_t len = 0;
  return u16(len) && take(len, out);
}

std::string_view wire_reader::rest() const {
  return {reinterpret_cast<const char*>(data_.data()) + pos_, remaining()};
}

void put_u8(bytes& out, std::uint8_t v) {
  out.push_back(static_cast<char>(v));
}

void put_u16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void put_u32(bytes& out, std::uint32_t v) {
  put_u16(out, static_cast<std::uint16_t>(v >> 16));
  put_u16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

void put_varint(bytes& out, std::uint32_t v) {
  do {
    std::uint8_t b = v & 0x7F;
    v >>= 7;
    if (v > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v > 0);
}

std::size_t varint_size(std::uint32_t v) {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  return 4;
}

void put_binary(bytes& out, std::string_view v) {
  put_u16(out, static_cast<std::uint16_t>(v.size()));
  out.append(v);
}

bool valid_utf8(std::string_view s, bool allow_control) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (c == 0 || (!allow_control && (c < 0x20 || c == 0x7F))) return false;
      ++p;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) <= n) return false;
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (!allow_control && cp >= 0x80 && cp <= 0x9F) return false;
    p += n + 1;
  }
  return true;
}

}  // namespace emqx_cpp::mqtt
