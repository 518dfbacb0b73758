// SPDX-License-Identifier: Apache-2.0
//
// The value syntaxes that TOML itself does not have: durations ("15s"), sizes ("1MB"),
// listener addresses ("0.0.0.0:1883", "[::]:1883", "1883"), and the way each is written
// back. They are kept apart from the key table so that the same rules serve the file,
// the EMQX_CPP_* environment and `check-config --print`, and can be tested on their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace emqx_cpp::config {

// "500ms", "15s", "1m", "2h", "1d" -> milliseconds. One integer and one unit, no
// spaces, lowercase units (an uppercase "M" could mean months). Refuses overflow.
std::optional<std::uint64_t> parse_duration_ms(std::string_view text);

// Milliseconds written with the largest unit that is exact: 300000 -> "5m", 0 -> "0s".
std::string format_duration_ms(std::uint64_t ms);

// "512B", "64KB", "1MB", "1GB" (1024-based, unit case-insensitive) or plain digits
// meaning bytes -> bytes. Refuses overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);
// EMQX's rate: an amount (a number, or a size such as "10MB") per period ("s", or a
// duration such as "2s", "1m"): "100/s", "10MB/2s". Returns {amount, period_ms}.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_rate(std::string_view text);
std::string format_rate(std::uint64_t amount, std::uint64_t period_ms);

// Bytes written with the largest unit that is exact: 1048576 -> "1MB", 1000 -> "1000B".
std::string format_size(std::uint64_t bytes);

struct bind_address {
  std::string host;  // an IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 0;
};

// "host:port" (IPv4 literal), "[ipv6]:port" or "port" (all IPv4 interfaces).
std::optional<bind_address> parse_bind(std::string_view text);

// The inverse of parse_bind: IPv6 hosts get their brackets back.
std::string format_bind(const bind_address& bind);

// `text` as a TOML basic string, quotes included, with the escapes TOML requires.
std::string toml_quote(std::string_view text);

// Optimal string alignment distance (edits plus swaps of neighbours): a typo such as
// "max_infilght" is one edit away from "max_inflight", not two.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace emqx_cpp::config
