// SPDX-License-Identifier: Apache-2.0
//
// MQTT topic rules for plugins (header-only): splitting into levels, checking names and
// filters, and matching a name against a filter the way the broker does. Plugins see
// only the SDK, not the broker's own code, and most of them need these.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace emqx_cpp::sdk::topic {

// Splits a topic or filter into its levels ("a//b" has three, the middle one empty).
inline std::vector<std::string_view> levels_of(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

// A topic a message can be published to: not empty, no wildcards, no NUL.
inline bool valid_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

// A subscription filter: '#' only as the whole last level, '+' only as a whole level
// [MQTT-4.7.1-1] [MQTT-4.7.1-2]. With `allow_shared`, "$share/<group>/<filter>" and
// "$queue/<filter>" are accepted and their filter part is checked.
inline bool valid_filter(std::string_view filter, bool allow_shared = false) {
  if (allow_shared && filter.starts_with("$share/")) {
    const std::size_t slash = filter.find('/', 7);
    if (slash == std::string_view::npos || slash == 7) return false;
    if (filter.substr(7, slash - 7).find_first_of("+#") != std::string_view::npos) return false;
    filter = filter.substr(slash + 1);
  } else if (allow_shared && filter.starts_with("$queue/")) {
    filter = filter.substr(7);
  }
  if (filter.empty() || filter.find('\0') != std::string_view::npos) return false;
  const auto levels = levels_of(filter);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto level = levels[i];
    if (level.find('#') != std::string_view::npos && (level != "#" || i + 1 != levels.size()))
      return false;
    if (level.find('+') != std::string_view::npos && level != "+") return false;
  }
  return true;
}

// Does `filter` match `name`? `name` may itself be a filter (a SUBSCRIBE's), whose '+'
// and '#' are then plain levels matched by the filter's wildcards or by the same
// character (EMQX's emqx_topic:match). Names beginning with '$' are not matched by a
// leading wildcard [MQTT-4.7.2-1]; "a/#" also matches "a".
inline bool matches(std::string_view name, std::string_view filter) {
  if (name.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) return false;
  const auto n = levels_of(name);
  const auto f = levels_of(filter);
  std::size_t i = 0;
  for (; i < f.size(); ++i) {
    if (f[i] == "#") return true;
    if (i >= n.size()) return false;
    if (f[i] != "+" && f[i] != n[i]) return false;
  }
  return i == n.size();
}

}  // namespace emqx_cpp::sdk::topic
