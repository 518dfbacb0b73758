// SPDX-License-Identifier: Apache-2.0
//
// Topic names and filters (section 4.7): which are valid, which filter matches which
// topic (including the rule that wildcards at the first level do not match topics that
// start with '$'), and how EMQX's shared-subscription prefixes are split off.
#include <doctest/doctest.h>

#include <string>

#include "mqtt/topic.hpp"

namespace emqx_cpp::mqtt {
namespace {

TEST_CASE(
    "valid_topic_filter: '#' only as the whole last level [MQTT-4.7.1-1], '+' only as "
    "a whole level [MQTT-4.7.1-2]") {
  struct row {
    std::string_view filter;
    bool valid;
  };
  const row rows[] = {
      {"a/+/b", true}, {"#", true},      {"a/#", true},        {"+", true},
      {"+/+", true},   {"/", true},      {"a//b", true},       {"/+", true},
      {"+/#", true},   {"$SYS/#", true}, {"$share/g/a", true}, {"a/b/c", true},
      {"a#", false},   {"a/#/b", false}, {"a+", false},        {"", false},
      {"#/", false},   {"##", false},    {"a/b#", false},      {"+a/b", false},
      {"a/++", false}, {"#/a", false},   {"a/+b", false},      {"sport/tennis#", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.filter);
    CHECK(valid_topic_filter(r.filter) == r.valid);
  }
}

TEST_CASE("valid_topic_name: not empty [MQTT-4.7.3-1], no wildcard [MQTT-3.3.2-2]") {
  struct row {
    std::string_view topic;
    bool valid;
  };
  const row rows[] = {
      {"a/b", true}, {"/", true},    {"a//b", true}, {"$SYS/x", true}, {" ", true},
      {"", false},   {"a/+", false}, {"#", false},   {"a/b#", false},  {"+", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.topic);
    CHECK(valid_topic_name(r.topic) == r.valid);
  }
}

TEST_CASE("topic names and filters are at most 65535 bytes [MQTT-4.7.3-3]") {
  const std::string longest(65535, 'a');
  const std::string too_long(65536, 'a');
  CHECK(valid_topic_name(longest));
  CHECK_FALSE(valid_topic_name(too_long));
  CHECK(valid_topic_filter(longest));
  CHECK_FALSE(valid_topic_filter(too_long));
}

TEST_CASE("the level limit counts levels separated by '/' and 0 means no limit") {
  CHECK(topic_levels("a") == 1);
  CHECK(topic_levels("a/b/c") == 3);
  CHECK(topic_levels("/") == 2);
  CHECK(topic_levels("") == 1);
  CHECK(valid_topic_name("a/b/c", 3));
  CHECK_FALSE(valid_topic_name("a/b/c/d", 3));
  CHECK(valid_topic_name("a/b/c/d", 0));
  CHECK(valid_topic_filter("a/+/#", 3));
  CHECK_FALSE(valid_topic_filter("a/+/c/#", 3));
  CHECK(valid_topic_filter("a/+/c/#", 0));
}

TEST_CASE("has_wildcard finds '+' and '#' anywhere") {
  CHECK(has_wildcard("a/+"));
  CHECK(has_wildcard("#"));
  CHECK(has_wildcard("a#b"));
  CHECK_FALSE(has_wildcard("a/b"));
  CHECK_FALSE(has_wildcard(""));
}

TEST_CASE("topic_matches: wildcards, empty levels and the '$' rule [MQTT-4.7.2-1]") {
  struct row {
    std::string_view filter;
    std::string_view topic;
    bool match;
  };
  const row rows[] = {
      // '$' topics are not matched by a filter starting with a wildcard.
      {"#", "$SYS/x", false},
      {"+/x", "$SYS/x", false},
      {"+", "$SYS", false},
      {"$SYS/#", "$SYS/x", true},
      {"$SYS/+", "$SYS/x", true},
      {"$SYS/#", "$SYS", true},
      {"$share/#", "$share/a", true},
      // "#" matches the parent level and everything below (4.7.1.2).
      {"#", "a", true},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"a/#", "a", true},
      {"a/#", "a/", true},
      {"a/#", "a/b/c", true},
      {"a/#", "ab", false},
      {"a/#", "b/a", false},
      {"a/b/#", "a/b", true},
      {"+/#", "a", true},
      // '+' matches exactly one level, possibly empty.
      {"a/+", "a", false},
      {"a/+", "a/b", true},
      {"a/+", "a/", true},
      {"a/+", "a/b/c", false},
      {"+/+", "/x", true},
      {"+/+", "x", false},
      {"+", "/", false},
      {"/+", "/x", true},
      {"+", "a", true},
      {"a/+/b", "a//b", true},
      {"a/+/b", "a/x/b", true},
      {"a/+/b", "a/x/c", false},
      {"a/+/+", "a/x", false},
      // Exact filters.
      {"a/b", "a/b", true},
      {"a/b", "a/b/c", false},
      {"a/b/c", "a/b", false},
      {"a/b", "a/B", false},
      {"a//b", "a//b", true},
      {"a/b", "a//b", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.filter);
    CAPTURE(r.topic);
    CHECK(topic_matches(r.filter, r.topic) == r.match);
  }
}

TEST_CASE("parse_filter splits $share/<group>/ and $queue/ off and refuses malformed shares") {
  const auto share = parse_filter("$share/g/a/b");
  REQUIRE(share.has_value());
  CHECK(share->group == "g");
  CHECK(share->filter == "a/b");
  CHECK(share->shared());

  const auto share_wild = parse_filter("$share/grp/#");
  REQUIRE(share_wild.has_value());
  CHECK(share_wild->group == "grp");
  CHECK(share_wild->filter == "#");

  const auto queue = parse_filter("$queue/a");
  REQUIRE(queue.has_value());
  CHECK(queue->group == "$queue");
  CHECK(queue->filter == "a");
  CHECK(queue->shared());

  const auto plain = parse_filter("a/+/b");
  REQUIRE(plain.has_value());
  CHECK(plain->group.empty());
  CHECK(plain->filter == "a/+/b");
  CHECK_FALSE(plain->shared());

  // "$sharex/..." and "$SYS/..." are ordinary filters.
  const auto sys = parse_filter("$SYS/#");
  REQUIRE(sys.has_value());
  CHECK_FALSE(sys->shared());
  CHECK(sys->filter == "$SYS/#");
  CHECK_FALSE(parse_filter("$sharex/g/a")->shared());

  // No filter after the group, an empty group, a wildcard in the group, nothing at all.
  CHECK_FALSE(parse_filter("$share/g").has_value());
  CHECK_FALSE(parse_filter("$share/g/").has_value());
  CHECK_FALSE(parse_filter("$share//a").has_value());
  CHECK_FALSE(parse_filter("$share/g+/a").has_value());
  CHECK_FALSE(parse_filter("$share/#/a").has_value());
  CHECK_FALSE(parse_filter("$share/").has_value());
  CHECK_FALSE(parse_filter("$queue/").has_value());
}

}  // namespace
}  // namespace emqx_cpp::mqtt
