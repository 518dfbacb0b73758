// SPDX-License-Identifier: Apache-2.0
//
// The SDK's topic helpers agree with the broker's rules.
#include <doctest/doctest.h>

#include "emqx_cpp/sdk/topic.hpp"

using namespace emqx_cpp::sdk::topic;

TEST_CASE("topic names and filters are checked as the broker checks them") {
  CHECK(valid_name("a/b"));
  CHECK(valid_name("/"));
  CHECK_FALSE(valid_name(""));
  CHECK_FALSE(valid_name("a/+"));
  CHECK_FALSE(valid_name("a/#"));
  CHECK(valid_filter("a/+/b"));
  CHECK(valid_filter("#"));
  CHECK(valid_filter("a/#"));
  CHECK_FALSE(valid_filter("a#"));
  CHECK_FALSE(valid_filter("a/#/b"));
  CHECK_FALSE(valid_filter("a+"));
  CHECK_FALSE(valid_filter(""));
  CHECK(valid_filter("$share/g/a"));  // without allow_shared, just three levels
  CHECK(valid_filter("$share/g/a/+", true));
  CHECK(valid_filter("$queue/a", true));
  CHECK_FALSE(valid_filter("$share/g+/a", true));
  CHECK_FALSE(valid_filter("$share//a", true));
  CHECK_FALSE(valid_filter("$share/g", true));
}

TEST_CASE("matching follows [MQTT-4.7] with EMQX's filter-against-filter rule") {
  CHECK(matches("a/b", "a/+"));
  CHECK(matches("a", "a/#"));
  CHECK(matches("a/b/c", "a/#"));
  CHECK_FALSE(matches("a", "a/+"));
  CHECK(matches("/x", "+/+"));
  CHECK(matches("a//b", "a/+/b"));
  CHECK_FALSE(matches("$SYS/x", "#"));
  CHECK_FALSE(matches("$SYS/x", "+/x"));
  CHECK(matches("$SYS/x", "$SYS/#"));
  CHECK(matches("a/+", "a/+"));  // a subscription's own wildcard is a plain level
  CHECK(levels_of("a//b").size() == 3);
}
