// SPDX-License-Identifier: Apache-2.0
//
// Framing (section 2.1): read_frame finds whole packets in a byte stream that arrives
// in arbitrary pieces. Every prefix of a frame is incomplete, concatenated frames come
// out one by one, the remaining length uses one to four bytes, a fifth is malformed,
// and a frame above the size limit is reported before its body arrives.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "codec_test_util.hpp"

namespace emqx_cpp::mqtt::test {
namespace {

// One frame of each packet type, 5.0 where the packet has properties.
const std::vector<std::string>& sample_frames() {
  static const std::vector<std::string> frames = {
      hex("10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 63 69 64"),
      hex("20 03 00 87 00"),
      hex("32 0A 00 03 61 2F 62 00 01 00 68 69"),
      hex("40 03 00 0A 10"),
      hex("50 02 00 0A"),
      hex("62 02 00 0A"),
      hex("70 02 00 0A"),
      hex("82 09 00 05 02 0B 03 00 01 78 2D"),
      hex("90 04 00 05 00 01"),
      hex("A2 06 00 06 00 00 01 78"),
      hex("B0 04 00 06 00 00"),
      hex("C0 00"),
      hex("D0 00"),
      hex("E0 02 8E 00"),
      hex("F0 02 18 00"),
  };
  return frames;
}

// The fixed header of a PUBLISH whose remaining length is `length`.
bytes publish_header(std::uint32_t length) {
  bytes out;
  put_u8(out, 0x30);
  put_varint(out, length);
  return out;
}

TEST_CASE("read_frame reports incomplete for every proper prefix of a frame") {
  for (const auto& frame : sample_frames()) {
    CAPTURE(to_hex(frame));
    fixed_header h;
    for (std::size_t n = 0; n < frame.size(); ++n) {
      CAPTURE(n);
      CHECK(read_frame(as_span(frame).first(n), 0, h) == frame_status::incomplete);
    }
    REQUIRE(read_frame(as_span(frame), 0, h) == frame_status::complete);
    CHECK(h.frame_size() == frame.size());
    CHECK(static_cast<int>(h.type) == (static_cast<unsigned char>(frame[0]) >> 4));
    CHECK(h.flags == (static_cast<unsigned char>(frame[0]) & 0x0F));
  }
}

TEST_CASE("concatenated frames decode one after another, as a stream is read") {
  bytes stream;
  for (const auto& frame : sample_frames())
    stream += frame;
  std::size_t offset = 0;
  std::size_t count = 0;
  for (;;) {
    fixed_header h;
    const auto in = as_span(stream).subspan(offset);
    const auto status = read_frame(in, 0, h);
    if (status == frame_status::incomplete) break;
    REQUIRE(status == frame_status::complete);
    const auto& expected = sample_frames()[count];
    CHECK(h.frame_size() == expected.size());
    auto p = decode(h, in.subspan(h.header_size, h.remaining_length), v5);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.err().message));
    // Each decoded packet encodes back to the frame it came from.
    bytes again;
    encode(p.value(), v5, again);
    CHECK(to_hex(again) == to_hex(expected));
    offset += h.frame_size();
    ++count;
  }
  CHECK(offset == stream.size());
  CHECK(count == 15);
}

TEST_CASE("a stream fed one byte at a time yields each frame exactly when its last byte arrives") {
  bytes stream;
  for (const auto& frame : sample_frames())
    stream += frame;
  bytes buffer;
  std::size_t frames = 0;
  for (char c : stream) {
    buffer.push_back(c);
    fixed_header h;
    while (read_frame(as_span(buffer), 0, h) == frame_status::complete) {
      CHECK(to_hex(buffer.substr(0, h.frame_size())) == to_hex(sample_frames()[frames]));
      buffer.erase(0, h.frame_size());
      ++frames;
    }
  }
  CHECK(frames == 15);
  CHECK(buffer.empty());
}

TEST_CASE("remaining length uses 1, 2, 3 and 4 bytes at the boundaries of table 1.1") {
  struct row {
    std::uint32_t length;
    std::string_view encoding;
  };
  const row rows[] = {
      {0, "00"},
      {127, "7F"},
      {128, "80 01"},
      {16383, "FF 7F"},
      {16384, "80 80 01"},
      {2097151, "FF FF 7F"},
      {2097152, "80 80 80 01"},
      {268435455, "FF FF FF 7F"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.length);
    const bytes header = publish_header(r.length);
    CHECK(to_hex(header.substr(1)) == to_hex(hex(r.encoding)));
    const auto encoding_size = hex(r.encoding).size();
    fixed_header h;
    // Header only: the body is still to come.
    CHECK(read_frame(as_span(header), 0, h) ==
          (r.length == 0 ? frame_status::complete : frame_status::incomplete));
    // A limit just below the frame: too large, and the header is described.
    REQUIRE(read_frame(as_span(header), 1, h) == frame_status::too_large);
    CHECK(h.remaining_length == r.length);
    CHECK(h.header_size == 1 + encoding_size);
    CHECK(h.frame_size() == 1 + encoding_size + r.length);
  }
}

TEST_CASE("remaining length at the 1-to-4-byte boundaries frames whole bodies") {
  for (std::uint32_t length : {127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    CAPTURE(length);
    bytes frame = publish_header(length);
    const std::size_t header = frame.size();
    frame.append(length, 'p');
    fixed_header h;
    REQUIRE(read_frame(as_span(frame), 0, h) == frame_status::complete);
    CHECK(h.remaining_length == length);
    CHECK(h.header_size == header);
    CHECK(read_frame(as_span(frame).first(frame.size() - 1), 0, h) == frame_status::incomplete);
    // With the limit at exactly the frame size it is still accepted.
    CHECK(read_frame(as_span(frame), static_cast<std::uint32_t>(frame.size()), h) ==
          frame_status::complete);
  }
}

TEST_CASE("a fifth remaining-length byte is malformed (section 1.5.5: at most four)") {
  fixed_header h;
  CHECK(read_frame(as_span(hex("30 FF FF FF FF 01")), 0, h) == frame_status::malformed);
  CHECK(read_frame(as_span(hex("30 80 80 80 80 00")), 0, h) == frame_status::malformed);
  // Known as soon as the fourth length byte has its continuation bit set.
  CHECK(read_frame(as_span(hex("30 80 80 80 80")), 0, h) == frame_status::malformed);
  CHECK(read_frame(as_span(hex("30 80 80 80")), 0, h) == frame_status::incomplete);
}

TEST_CASE("a frame larger than the maximum packet size is too_large, even before its body") {
  fixed_header h;
  const auto frame = hex("30 07 00 03 61 2F 62 68 69");  // 9 bytes
  CHECK(read_frame(as_span(frame), 9, h) == frame_status::complete);
  CHECK(read_frame(as_span(frame), 8, h) == frame_status::too_large);
  CHECK(h.frame_size() == 9);
  CHECK(read_frame(as_span(frame).first(2), 8, h) == frame_status::too_large);
  // 0 means no limit.
  CHECK(read_frame(as_span(frame), 0, h) == frame_status::complete);
  // With a 1 MiB limit, a header announcing 256 MiB is refused as soon as it is read.
  CHECK(read_frame(as_span(hex("30 FF FF FF 7F")), 1024 * 1024, h) == frame_status::too_large);
  CHECK(h.remaining_length == 268435455u);
}

TEST_CASE("packet type 0 is reserved: malformed once two bytes are there") {
  fixed_header h;
  CHECK(read_frame(as_span(hex("00")), 0, h) == frame_status::incomplete);
  CHECK(read_frame(as_span(hex("00 00")), 0, h) == frame_status::malformed);
  CHECK(read_frame(as_span(hex("0F 02 00 01")), 0, h) == frame_status::malformed);
}

TEST_CASE("decode of a fixed header naming no packet type is malformed") {
  fixed_header h;
  h.type = static_cast<packet_type>(0);
  auto r = decode(h, {}, v5);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == rc(reason_code::malformed_packet));
}

}  // namespace
}  // namespace emqx_cpp::mqtt::test
