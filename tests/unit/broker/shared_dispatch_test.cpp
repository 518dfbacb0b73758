// SPDX-License-Identifier: Apache-2.0
//
// pick_member under each shared-subscription strategy: random picks some member,
// round_robin (and round_robin_per_group) cycle with the position kept in the group,
// sticky keeps its member until it is excluded, local prefers a member on the
// publishing worker, hash_topic and hash_clientid map one topic or one publisher to
// one member; `exclude` is honoured unless it is the only member; an empty group gives
// SIZE_MAX.
#include "broker/shared_dispatch.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emqx_cpp::broker {
namespace {

using config::shared_strategy;

constexpr shared_strategy all_strategies[] = {shared_strategy::random,
                                              shared_strategy::round_robin,
                                              shared_strategy::round_robin_per_group,
                                              shared_strategy::sticky,
                                              shared_strategy::local,
                                              shared_strategy::hash_topic,
                                              shared_strategy::hash_clientid};

// Members as (worker, session id).
share_group make_group(const std::vector<std::pair<std::uint16_t, std::uint64_t>>& members) {
  share_group g;
  g.name = "g";
  g.filter = "t/#";
  for (const auto& [worker, session_id] : members) {
    route r;
    r.who = subscriber_ref{worker, session_id};
    g.members.push_back(r);
  }
  return g;
}

// Session ids 1, 2, 3 on worker 0.
share_group three() {
  return make_group({{0, 1}, {0, 2}, {0, 3}});
}

std::size_t pick(share_group& g, shared_strategy s, std::mt19937_64& rng, std::uint64_t exclude = 0,
                 std::string_view topic = "t/1", std::string_view publisher = "pub",
                 std::uint16_t local_worker = 0) {
  return pick_member(g, s, topic, publisher, local_worker, rng, exclude);
}

TEST_CASE("shared dispatch: an empty group has no member; a single one is always chosen") {
  std::mt19937_64 rng(1);
  for (const auto s : all_strategies) {
    CAPTURE(s);
    share_group empty = make_group({});
    CHECK(pick(empty, s, rng) == SIZE_MAX);
    share_group one = make_group({{0, 7}});
    CHECK(pick(one, s, rng) == 0);
    CHECK(pick(one, s, rng, 7) == 0);  // excluded, but there is nobody else
  }
}

TEST_CASE("shared dispatch: random picks among the members, never the excluded one") {
  std::mt19937_64 rng(42);
  share_group g = three();
  std::set<std::size_t> seen;
  for (int i = 0; i < 300; ++i) {
    const std::size_t m = pick(g, shared_strategy::random, rng);
    REQUIRE(m < 3);
    seen.insert(m);
  }
  CHECK(seen.size() == 3);

  seen.clear();
  for (int i = 0; i < 300; ++i)
    seen.insert(pick(g, shared_strategy::random, rng, 2));
  CHECK(seen == std::set<std::size_t>{0, 2});
}

TEST_CASE("shared dispatch: round_robin cycles through the members") {
  for (const auto s : {shared_strategy::round_robin, shared_strategy::round_robin_per_group}) {
    CAPTURE(s);
    std::mt19937_64 rng(1);
    share_group g = three();
    std::vector<std::size_t> order;
    for (int i = 0; i < 7; ++i)
      order.push_back(pick(g, s, rng));
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0});

    // The excluded member is stepped over.
    share_group h = three();
    order.clear();
    for (int i = 0; i < 4; ++i)
      order.push_back(pick(h, s, rng, 2));
    CHECK(order == std::vector<std::size_t>{0, 2, 0, 2});
  }
}

TEST_CASE("shared dispatch: round_robin_per_group keeps a position per group") {
  std::mt19937_64 rng(1);
  share_group a = three();
  share_group b = three();
  CHECK(pick(a, shared_strategy::round_robin_per_group, rng) == 0);
  CHECK(pick(a, shared_strategy::round_robin_per_group, rng) == 1);
  CHECK(pick(b, shared_strategy::round_robin_per_group, rng) == 0);
  CHECK(pick(a, shared_strategy::round_robin_per_group, rng) == 2);
  CHECK(pick(b, shared_strategy::round_robin_per_group, rng) == 1);
}

TEST_CASE("shared dispatch: sticky keeps its member until that one is excluded") {
  std::mt19937_64 rng(7);
  share_group g = three();
  const std::size_t first = pick(g, shared_strategy::sticky, rng);
  REQUIRE(first < 3);
  CHECK(g.sticky == first);
  for (int i = 0; i < 20; ++i)
    CHECK(pick(g, shared_strategy::sticky, rng, 0, "t/" + std::to_string(i)) == first);

  const std::uint64_t excluded = g.members[first].who.session_id;
  const std::size_t second = pick(g, shared_strategy::sticky, rng, excluded);
  REQUIRE(second < 3);
  CHECK(second != first);
  for (int i = 0; i < 20; ++i)
    CHECK(pick(g, shared_strategy::sticky, rng) == second);
}

TEST_CASE("shared dispatch: local prefers a member on the publishing worker") {
  std::mt19937_64 rng(3);
  // Sessions 1..4 on workers 0, 1, 1, 2.
  share_group g = make_group({{0, 1}, {1, 2}, {1, 3}, {2, 4}});
  std::set<std::size_t> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(pick(g, shared_strategy::local, rng, 0, "t/1", "pub", 1));
  CHECK(seen == std::set<std::size_t>{1, 2});

  // The excluded one is not preferred.
  seen.clear();
  for (int i = 0; i < 50; ++i)
    seen.insert(pick(g, shared_strategy::local, rng, 2, "t/1", "pub", 1));
  CHECK(seen == std::set<std::size_t>{2});

  // Nobody on this worker: any member will do.
  seen.clear();
  for (int i = 0; i < 300; ++i) {
    const std::size_t m = pick(g, shared_strategy::local, rng, 0, "t/1", "pub", 9);
    REQUIRE(m < 4);
    seen.insert(m);
  }
  CHECK(seen.size() > 1);

  // The only local member is excluded: a member elsewhere, never the excluded one.
  for (int i = 0; i < 50; ++i)
    CHECK(pick(g, shared_strategy::local, rng, 1, "t/1", "pub", 0) != 0);
}

TEST_CASE("shared dispatch: hash_topic sends one topic to one member") {
  std::mt19937_64 rng(5);
  share_group g = three();
  std::set<std::size_t> spread;
  for (int t = 0; t < 64; ++t) {
    const std::string topic = "t/" + std::to_string(t);
    const std::size_t m = pick(g, shared_strategy::hash_topic, rng, 0, topic, "p1");
    REQUIRE(m < 3);
    spread.insert(m);
    // Whoever publishes it, and whatever the random state.
    CHECK(pick(g, shared_strategy::hash_topic, rng, 0, topic, "p2") == m);
    CHECK(pick(g, shared_strategy::hash_topic, rng, 0, topic, "p3") == m);
    // Excluding its member moves the topic to one other member, consistently.
    const std::uint64_t excluded = g.members[m].who.session_id;
    const std::size_t other = pick(g, shared_strategy::hash_topic, rng, excluded, topic);
    CHECK(other != m);
    CHECK(pick(g, shared_strategy::hash_topic, rng, excluded, topic) == other);
  }
  CHECK(spread.size() > 1);  // different topics do not all land on one member
}

TEST_CASE("shared dispatch: hash_clientid sends one publisher to one member") {
  std::mt19937_64 rng(5);
  share_group g = three();
  std::set<std::size_t> spread;
  for (int p = 0; p < 64; ++p) {
    const std::string publisher = "client-" + std::to_string(p);
    const std::size_t m = pick(g, shared_strategy::hash_clientid, rng, 0, "t/a", publisher);
    REQUIRE(m < 3);
    spread.insert(m);
    CHECK(pick(g, shared_strategy::hash_clientid, rng, 0, "t/b", publisher) == m);
    CHECK(pick(g, shared_strategy::hash_clientid, rng, 0, "x/y/z", publisher) == m);
    const std::uint64_t excluded = g.members[m].who.session_id;
    CHECK(pick(g, shared_strategy::hash_clientid, rng, excluded, "t/a", publisher) != m);
  }
  CHECK(spread.size() > 1);
}

}  // namespace
}  // namespace emqx_cpp::broker
