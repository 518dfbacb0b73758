// SPDX-License-Identifier: Apache-2.0
//
// The value syntaxes on their own: durations, sizes, listener addresses, TOML quoting
// and the edit distance behind "did you mean".
#include "config/values.hpp"

#include <doctest/doctest.h>

using namespace emqx_cpp::config;

TEST_CASE("durations take one integer and one unit") {
  CHECK(parse_duration_ms("500ms") == 500);
  CHECK(parse_duration_ms("15s") == 15000);
  CHECK(parse_duration_ms("1m") == 60000);
  CHECK(parse_duration_ms("2h") == 7200000);
  CHECK(parse_duration_ms("1d") == 86400000);
  CHECK(parse_duration_ms("0s") == 0);
  CHECK(parse_duration_ms("015s") == 15000);
}

TEST_CASE("durations refuse what is not exactly number+unit") {
  for (const char* bad : {"", "15", "s", "15 s", "15S", "1.5s", "-1s", "15sec", "1h30m", "+5s",
                          "99999999999999999999ms", "18446744073709551615d"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration_ms(bad).has_value());
  }
}

TEST_CASE("durations are written with the largest exact unit") {
  CHECK(format_duration_ms(0) == "0s");
  CHECK(format_duration_ms(500) == "500ms");
  CHECK(format_duration_ms(1500) == "1500ms");
  CHECK(format_duration_ms(15000) == "15s");
  CHECK(format_duration_ms(300000) == "5m");
  CHECK(format_duration_ms(7200000) == "2h");
  CHECK(format_duration_ms(172800000) == "2d");
}

TEST_CASE("sizes are 1024-based, any unit case, or plain bytes") {
  CHECK(parse_size("512B") == 512);
  CHECK(parse_size("64KB") == 64 * 1024);
  CHECK(parse_size("1MB") == 1024 * 1024);
  CHECK(parse_size("1mb") == 1024 * 1024);
  CHECK(parse_size("1Mb") == 1024 * 1024);
  CHECK(parse_size("1GB") == 1024ULL * 1024 * 1024);
  CHECK(parse_size("1048576") == 1048576);
  CHECK(parse_size("0") == 0);
}

TEST_CASE("sizes refuse other forms") {
  for (const char* bad : {"", "MB", "1 MB", "1.5MB", "1TB", "1M", "-1B", "17179869184GB"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
}

TEST_CASE("sizes are written with the largest exact unit") {
  CHECK(format_size(0) == "0B");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(1024) == "1KB");
  CHECK(format_size(1024ULL * 1024) == "1MB");
  CHECK(format_size(3ULL * 1024 * 1024 * 1024) == "3GB");
  CHECK(format_size(268435455) == "268435455B");
}

TEST_CASE("bind addresses: host:port, [ipv6]:port and a bare port") {
  auto b = parse_bind("0.0.0.0:1883");
  REQUIRE(b);
  CHECK(b->host == "0.0.0.0");
  CHECK(b->port == 1883);

  b = parse_bind("127.0.0.1:0");
  REQUIRE(b);
  CHECK(b->host == "127.0.0.1");
  CHECK(b->port == 0);

  b = parse_bind("[::]:1883");
  REQUIRE(b);
  CHECK(b->host == "::");
  CHECK(b->port == 1883);

  b = parse_bind("[fe80::1:2]:65535");
  REQUIRE(b);
  CHECK(b->host == "fe80::1:2");
  CHECK(b->port == 65535);

  b = parse_bind("1883");
  REQUIRE(b);
  CHECK(b->host == "0.0.0.0");
  CHECK(b->port == 1883);
}

TEST_CASE("bind addresses refuse names, bad ports and unbracketed IPv6") {
  for (const char* bad : {"", ":1883", "localhost:1883", "0.0.0.0:", "0.0.0.0:65536", "0.0.0.0:-1",
                          "0.0.0.0:18a3", "::1:1883", "[::1]", "[::1]1883", "[::1:1883",
                          "[1.2.3.4]:1883", "300.0.0.1:1883", "123456"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_bind(bad).has_value());
  }
}

TEST_CASE("bind addresses are written back with brackets for IPv6") {
  CHECK(format_bind({"0.0.0.0", 1883}) == "0.0.0.0:1883");
  CHECK(format_bind({"::", 1883}) == "[::]:1883");
}

TEST_CASE("TOML quoting escapes what TOML requires") {
  CHECK(toml_quote("plain") == R"("plain")");
  CHECK(toml_quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(toml_quote("l1\nl2\tx\r") == R"("l1\nl2\tx\r")");
  CHECK(toml_quote(std::string_view("\x01\x7f", 2)) == R"("\u0001\u007F")");
}

TEST_CASE("edit distance counts a swap of neighbours as one edit") {
  CHECK(edit_distance("max_inflight", "max_inflight") == 0);
  CHECK(edit_distance("max_inflght", "max_inflight") == 1);
  CHECK(edit_distance("max_infilght", "max_inflight") == 1);
  CHECK(edit_distance("mqt", "mqtt") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("rates: an amount per period, as EMQX writes them") {
  using R = std::optional<std::pair<std::uint64_t, std::uint64_t>>;
  CHECK(parse_rate("100/s") == R({100, 1000}));
  CHECK(parse_rate("10MB/2s") == R({10ULL * 1024 * 1024, 2000}));
  CHECK(parse_rate("5/1m") == R({5, 60000}));
  CHECK(parse_rate("100") == std::nullopt);
  CHECK(parse_rate("0/s") == std::nullopt);
  CHECK(parse_rate("10/0s") == std::nullopt);
  CHECK(parse_rate("ten/s") == std::nullopt);
  CHECK(format_rate(100, 1000) == "100/s");
  CHECK(format_rate(5, 60000) == "5/1m");
}
