// SPDX-License-Identifier: Apache-2.0
//
// Topic names and filters (section 4.7): validation, wildcard matching, and the special
// prefixes EMQX gives meaning to ($share/<group>/, $queue/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emqx_cpp::mqtt {

// A topic a message is published to: non-empty, no wildcards, at most `max_levels`
// levels (0 = no limit).
bool valid_topic_name(std::string_view topic, std::uint32_t max_levels = 0);

// A subscription filter: '#' only as the whole last level, '+' only as a whole level
// [MQTT-4.7.1-1] [MQTT-4.7.1-2], at most `max_levels` levels (0 = no limit).
bool valid_topic_filter(std::string_view filter, std::uint32_t max_levels = 0);

bool has_wildcard(std::string_view filter);

// Does `filter` match `topic`? Topics starting with '$' are not matched by a filter
// starting with a wildcard [MQTT-4.7.2-1].
bool topic_matches(std::string_view filter, std::string_view topic);

// A filter with its shared-subscription group split off: "$share/g/a/b" -> {g, "a/b"},
// "$queue/a/b" -> {"$queue", "a/b"} (EMQX's alias). A plain filter has no group.
struct parsed_filter {
  std::string group;  // empty: not shared
  std::string filter;
  bool exclusive = false;  // $exclusive/<filter> (EMQX): one subscriber per filter
  bool shared() const { return !group.empty(); }
};

// Splits a subscription filter: $share/<group>/<filter>, $queue/<filter> (the group
// "$queue") and $exclusive/<filter>. Returns nullopt for a malformed one (empty or
// wildcard group, missing filter).
std::optional<parsed_filter> parse_filter(std::string_view raw);

std::size_t topic_levels(std::string_view topic);

}  // namespace emqx_cpp::mqtt
