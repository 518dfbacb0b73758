// SPDX-License-Identifier: Apache-2.0
#include "mqtt/topic.hpp"

namespace emqx_cpp::mqtt {

std::size_t topic_levels(std::string_view topic) {
  std::size_t n = 1;
  for (char c : topic)
    n += c == '/' ? 1 : 0;
  return n;
}

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

bool valid_topic_name(std::string_view topic, std::uint32_t max_levels) {
  if (topic.empty() || topic.size() > 65535 || has_wildcard(topic)) return false;
  return max_levels == 0 || topic_levels(topic) <= max_levels;
}

bool valid_topic_filter(std::string_view filter, std::uint32_t max_levels) {
  if (filter.empty() || filter.size() > 65535) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (level.find('#') != std::string_view::npos) {
      if (level != "#" || slash != std::string_view::npos) return false;
    }
    if (level.find('+') != std::string_view::npos && level != "+") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return max_levels == 0 || topic_levels(filter) <= max_levels;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#'))
    return false;
  std::size_t f = 0;
  std::size_t t = 0;
  for (;;) {
    const std::size_t fs = filter.find('/', f);
    const std::string_view flevel =
        filter.substr(f, fs == std::string_view::npos ? std::string_view::npos : fs - f);
    if (flevel == "#") return true;  // also matches the parent level ("a/#" matches "a")
    if (t > topic.size()) return false;
    const std::size_t ts = topic.find('/', t);
    const std::string_view tlevel =
        topic.substr(t, ts == std::string_view::npos ? std::string_view::npos : ts - t);
    if (flevel != "+" && flevel != tlevel) return false;
    const bool fend = fs == std::string_view::npos;
    const bool tend = ts == std::string_view::npos;
    if (fend && tend) return true;
    if (fend) return false;
    if (tend) {
      // Topic ended; only a trailing "/#" can still match.
      return filter.substr(fs + 1) == "#";
    }
    f = fs + 1;
    t = ts + 1;
  }
}

std::optional<parsed_filter> parse_filter(std::string_view raw) {
  constexpr std::string_view share = "$share/";
  constexpr std::string_view queue = "$queue/";
  constexpr std::string_view exclusive = "$exclusive/";
  if (raw.substr(0, exclusive.size()) == exclusive) {
    std::string_view rest = raw.substr(exclusive.size());
    if (rest.empty()) return std::nullopt;
    return parsed_filter{{}, std::string(rest), true};
  }
  if (raw.substr(0, queue.size()) == queue) {
    std::string_view rest = raw.substr(queue.size());
    if (rest.empty()) return std::nullopt;
    return parsed_filter{"$queue", std::string(rest), false};
  }
  if (raw.substr(0, share.size()) == share) {
    std::string_view rest = raw.substr(share.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    std::string_view group = rest.substr(0, slash);
    std::string_view filter = rest.substr(slash + 1);
    if (has_wildcard(group) || filter.empty()) return std::nullopt;
    return parsed_filter{std::string(group), std::string(filter), false};
  }
  return parsed_filter{{}, std::string(raw), false};
}

}  // namespace emqx_cpp::mqtt
