// SPDX-License-Identifier: Apache-2.0
//
// Duration, size and listener address syntaxes (see values.hpp). Parsers return
// nothing on any doubt; the caller turns that into a message naming the expected form.
#include "config/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <vector>

namespace emqx_cpp::config {
namespace {

struct unit {
  std::string_view name;
  std::uint64_t factor;
};

// Longest names first so that "ms" is not read as "m" followed by junk.
constexpr std::array<unit, 5> duration_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60ULL * 1000},
    {"h", 3600ULL * 1000},
    {"d", 24ULL * 3600 * 1000},
}};

constexpr std::array<unit, 4> size_units{{
    {"GB", 1024ULL * 1024 * 1024},
    {"MB", 1024ULL * 1024},
    {"KB", 1024},
    {"B", 1},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The leading run of digits of `text` as a number; `rest` gets what follows.
std::optional<std::uint64_t> leading_number(std::string_view text, std::string_view& rest) {
  std::uint64_t n = 0;
  const auto* first = text.data();
  const auto* last = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || ptr == first) return std::nullopt;
  rest = text.substr(static_cast<std::size_t>(ptr - first));
  return n;
}

std::optional<std::uint64_t> scaled(std::uint64_t n, std::uint64_t factor) {
  if (n > std::numeric_limits<std::uint64_t>::max() / factor) return std::nullopt;
  return n * factor;
}

}  // namespace

std::optional<std::uint64_t> parse_duration_ms(std::string_view text) {
  std::string_view suffix;
  const auto n = leading_number(text, suffix);
  if (!n) return std::nullopt;
  for (const auto& u : duration_units) {
    if (suffix == u.name) return scaled(*n, u.factor);
  }
  return std::nullopt;
}

std::string format_duration_ms(std::uint64_t ms) {
  if (ms == 0) return "0s";
  for (auto it = duration_units.rbegin(); it != duration_units.rend(); ++it) {
    if (ms % it->factor == 0) return std::to_string(ms / it->factor) + std::string(it->name);
  }
  return std::to_string(ms) + "ms";  // not reached: the factor of "ms" is 1
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::string_view suffix;
  const auto n = leading_number(text, suffix);
  if (!n) return std::nullopt;
  if (suffix.empty()) return n;
  for (const auto& u : size_units) {
    if (iequals(suffix, u.name)) return scaled(*n, u.factor);
  }
  return std::nullopt;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_rate(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto amount = parse_size(text.substr(0, slash));
  const auto period_text = text.substr(slash + 1);
  const auto period =
      period_text == "s" ? std::optional<std::uint64_t>(1000) : parse_duration_ms(period_text);
  if (!amount || *amount == 0 || !period || *period == 0) return std::nullopt;
  return std::pair{*amount, *period};
}

std::string format_rate(std::uint64_t amount, std::uint64_t period_ms) {
  return std::to_string(amount) + "/" + (period_ms == 1000 ? "s" : format_duration_ms(period_ms));
}

std::string format_size(std::uint64_t bytes) {
  for (const auto& u : size_units) {
    if (bytes != 0 && bytes % u.factor == 0) {
      return std::to_string(bytes / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(bytes) + "B";
}

std::optional<bind_address> parse_bind(std::string_view text) {
  bind_address out;
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    std::array<unsigned char, 16> buf{};
    if (inet_pton(AF_INET6, out.host.c_str(), buf.data()) != 1) return std::nullopt;
    port_text = text.substr(close + 2);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    std::array<unsigned char, 4> buf{};
    if (inet_pton(AF_INET, out.host.c_str(), buf.data()) != 1) return std::nullopt;
    port_text = text.substr(colon + 1);
  } else {
    out.host = "0.0.0.0";
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return std::nullopt;
  }
  std::uint32_t port = 0;
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::string format_bind(const bind_address& bind) {
  const auto port = std::to_string(bind.port);
  if (bind.host.find(':') != std::string::npos) return "[" + bind.host + "]:" + port;
  return bind.host + ":" + port;
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static constexpr std::string_view hex = "0123456789ABCDEF";
          const auto b = static_cast<unsigned char>(c);
          out += "\\u00";
          out += hex[b >> 4];
          out += hex[b & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: the swap rule looks two rows back.
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace emqx_cpp::config
