// SPDX-License-Identifier: Apache-2.0
//
// The router's topic trie: exact, '+' and '#' filters match what MQTT says they match
// ("a/#" matches "a", root wildcards never match '$' topics), a second add for the same
// subscriber replaces its options, add/remove report a filter's first and last local
// subscriber, the route and filter counts follow every add and remove, removing
// everything prunes the trie, and shared groups reach on_group and find_group with
// their dispatch state.
#include "broker/router.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emqx_cpp::broker {
namespace {

using change = router::change;
using ids = std::vector<std::uint64_t>;
using names = std::vector<std::string>;

route make_route(std::uint64_t session_id, std::uint8_t qos = 0, std::uint16_t worker = 0) {
  route r;
  r.who = subscriber_ref{worker, session_id};
  r.opts.qos = qos;
  return r;
}

// The session ids of the plain routes matching `topic`, sorted.
ids plain_matches(router& r, std::string_view topic) {
  ids found;
  r.match(
      topic, [&](const route& rt) { found.push_back(rt.who.session_id); }, [](share_group&) {});
  std::sort(found.begin(), found.end());
  return found;
}

// "group filter" for each shared group matching `topic`, sorted.
names group_matches(router& r, std::string_view topic) {
  names found;
  r.match(
      topic, [](const route&) {},
      [&](share_group& g) { found.push_back(g.name + " " + g.filter); });
  std::sort(found.begin(), found.end());
  return found;
}

// How many callbacks of either kind a match makes.
std::size_t any_matches(router& r, std::string_view topic) {
  std::size_t n = 0;
  r.match(
      topic, [&](const route&) { ++n; }, [&](share_group&) { ++n; });
  return n;
}

TEST_CASE("router: an exact filter matches only its own topic") {
  router r;
  CHECK(r.add("a/b", "", make_route(1)) == change::first_local);
  CHECK(r.add("a/c", "", make_route(2)) == change::first_local);
  CHECK(r.add("a/b/c", "", make_route(3)) == change::first_local);
  CHECK(r.add("a/b", "", make_route(4)) == change::added);
  CHECK(plain_matches(r, "a/b") == ids{1, 4});
  CHECK(plain_matches(r, "a/c") == ids{2});
  CHECK(plain_matches(r, "a/b/c") == ids{3});
  CHECK(plain_matches(r, "a").empty());
  CHECK(plain_matches(r, "a/b/c/d").empty());
  CHECK(plain_matches(r, "A/b").empty());
}

TEST_CASE("router: '+' matches exactly one level") {
  router r;
  r.add("a/+", "", make_route(1));
  r.add("+/b", "", make_route(2));
  r.add("+/+", "", make_route(3));
  r.add("a/+/c", "", make_route(4));
  CHECK(plain_matches(r, "a/b") == ids{1, 2, 3});
  CHECK(plain_matches(r, "a/x") == ids{1, 3});
  CHECK(plain_matches(r, "z/b") == ids{2, 3});
  CHECK(plain_matches(r, "a/b/c") == ids{4});
  CHECK(plain_matches(r, "a/b/d").empty());
  CHECK(plain_matches(r, "a").empty());
  // An empty level is a level.
  CHECK(plain_matches(r, "a/") == ids{1, 3});
}

TEST_CASE("router: '#' matches its parent level and everything below") {
  router r;
  r.add("a/#", "", make_route(1));
  r.add("#", "", make_route(2));
  r.add("a/b/#", "", make_route(3));
  CHECK(plain_matches(r, "a") == ids{1, 2});
  CHECK(plain_matches(r, "a/b") == ids{1, 2, 3});
  CHECK(plain_matches(r, "a/b/c/d") == ids{1, 2, 3});
  CHECK(plain_matches(r, "b") == ids{2});
  CHECK(plain_matches(r, "ab/c") == ids{2});
}

TEST_CASE("router: wildcards at the root do not match '$' topics [MQTT-4.7.2-1]") {
  router r;
  r.add("#", "", make_route(1));
  r.add("+/x", "", make_route(2));
  r.add("$SYS/#", "", make_route(3));
  r.add("$SYS/+", "", make_route(4));
  r.add("$SYS/x", "", make_route(5));
  r.add("a/+", "", make_route(6));
  r.add("#", "g", make_route(7));
  CHECK(plain_matches(r, "$SYS/x") == ids{3, 4, 5});
  CHECK(group_matches(r, "$SYS/x").empty());
  CHECK(plain_matches(r, "y/x") == ids{1, 2});
  CHECK(group_matches(r, "y/x") == names{"g #"});
  // Only the first level counts: a '$' further down is an ordinary character.
  CHECK(plain_matches(r, "a/$x") == ids{1, 6});
}

TEST_CASE("router: adding the same subscriber again replaces its options") {
  router r;
  CHECK(r.add("a/b", "", make_route(1, 0)) == change::first_local);
  route again = make_route(1, 2);
  again.opts.no_local = true;
  again.subscription_id = 7;
  CHECK(r.add("a/b", "", again) == change::none);
  CHECK(r.route_count() == 1);
  CHECK(r.filter_count() == 1);
  std::vector<route> seen;
  r.match(
      "a/b", [&](const route& rt) { seen.push_back(rt); }, [](share_group&) {});
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].opts.qos == 2);
  CHECK(seen[0].opts.no_local);
  CHECK(seen[0].subscription_id == 7);

  // The same session on another worker is another subscriber.
  CHECK(r.add("a/b", "", make_route(1, 0, 1)) == change::added);
  CHECK(r.route_count() == 2);

  // And the same for a member of a shared group.
  CHECK(r.add("a/b", "g", make_route(5, 0)) == change::added);
  CHECK(r.add("a/b", "g", make_route(5, 1)) == change::none);
  share_group* g = r.find_group("a/b", "g");
  REQUIRE(g != nullptr);
  REQUIRE(g->members.size() == 1);
  CHECK(g->members[0].opts.qos == 1);
  CHECK(r.route_count() == 3);
}

TEST_CASE("router: route_count counts routes, filter_count filters with subscribers") {
  router r;
  r.add("a", "", make_route(1));
  r.add("a", "", make_route(2));
  CHECK(r.route_count() == 2);
  CHECK(r.filter_count() == 1);  // two subscribers, one filter
  r.add("b", "", make_route(1));
  CHECK(r.route_count() == 3);
  CHECK(r.filter_count() == 2);
  r.add("a", "g", make_route(3));  // a shared group on a filter that already has routes
  CHECK(r.route_count() == 4);
  CHECK(r.filter_count() == 2);
  r.add("c/+", "g", make_route(4));
  CHECK(r.route_count() == 5);
  CHECK(r.filter_count() == 3);

  CHECK(r.remove("a", "", subscriber_ref{0, 1}) == change::removed);
  CHECK(r.route_count() == 4);
  CHECK(r.filter_count() == 3);
  CHECK(r.remove("a", "", subscriber_ref{0, 2}) == change::removed);
  CHECK(r.route_count() == 3);
  CHECK(r.filter_count() == 3);  // the group still subscribes to "a"
  CHECK(r.remove("a", "g", subscriber_ref{0, 3}) == change::last_local);
  CHECK(r.route_count() == 2);
  CHECK(r.filter_count() == 2);

  // Removing what is not there changes nothing.
  CHECK(r.remove("a", "", subscriber_ref{0, 1}) == change::none);
  CHECK(r.remove("b", "", subscriber_ref{0, 9}) == change::none);
  CHECK(r.remove("b", "g", subscriber_ref{0, 1}) == change::none);
  CHECK(r.remove("never/added", "", subscriber_ref{0, 1}) == change::none);
  CHECK(r.remove("c/+", "other", subscriber_ref{0, 4}) == change::none);
  CHECK(r.route_count() == 2);
  CHECK(r.filter_count() == 2);
}

TEST_CASE("router: removing a route keeps the routes around it") {
  router r;
  r.add("a", "", make_route(1));
  r.add("a/b", "", make_route(2));
  r.add("a/#", "", make_route(3));
  r.add("a/b/c", "", make_route(4));
  CHECK(r.remove("a/b", "", subscriber_ref{0, 2}) == change::last_local);
  CHECK(plain_matches(r, "a") == ids{1, 3});
  CHECK(plain_matches(r, "a/b") == ids{3});
  CHECK(plain_matches(r, "a/b/c") == ids{3, 4});
  CHECK(r.remove("a/b/c", "", subscriber_ref{0, 4}) == change::last_local);
  CHECK(plain_matches(r, "a/b/c") == ids{3});
  CHECK(plain_matches(r, "a") == ids{1, 3});
}

TEST_CASE("router: removing everything leaves nothing to match") {
  router r;
  const std::vector<std::string> filters = {"a/b/c", "a/+/#", "+/b", "#", "$SYS/x", "a"};
  std::uint64_t id = 1;
  for (const auto& f : filters)
    r.add(f, "", make_route(id++));
  r.add("a/b/c", "g", make_route(100));
  r.add("+/b", "h", make_route(101));
  CHECK(r.route_count() == filters.size() + 2);
  CHECK(r.filter_count() == filters.size());
  CHECK(any_matches(r, "a/b/c") > 0);
  std::vector<std::string> local;
  r.local_filters(local);
  std::sort(local.begin(), local.end());
  std::vector<std::string> sorted = filters;
  std::sort(sorted.begin(), sorted.end());
  CHECK(local == sorted);

  id = 1;
  for (const auto& f : filters)
    CHECK(r.remove(f, "", subscriber_ref{0, id++}) != change::none);
  CHECK(r.remove("a/b/c", "g", subscriber_ref{0, 100}) == change::last_local);
  CHECK(r.remove("+/b", "h", subscriber_ref{0, 101}) == change::last_local);

  CHECK(r.route_count() == 0);
  CHECK(r.filter_count() == 0);
  for (const char* topic : {"a/b/c", "a/b", "a", "x/b", "$SYS/x", "q"})
    CHECK(any_matches(r, topic) == 0);
  CHECK(r.find_group("a/b/c", "g") == nullptr);
  CHECK(r.find_group("+/b", "h") == nullptr);
  CHECK(r.remove("a/b/c", "", subscriber_ref{0, 1}) == change::none);
  local.clear();
  r.local_filters(local);
  CHECK(local.empty());

  // The pruned trie takes new routes as before.
  CHECK(r.add("a/b/c", "", make_route(1)) == change::first_local);
  CHECK(plain_matches(r, "a/b/c") == ids{1});
  CHECK(r.route_count() == 1);
  CHECK(r.filter_count() == 1);
}

TEST_CASE("router: shared groups reach on_group and find_group") {
  router r;
  CHECK(r.add("a/+", "g", make_route(1)) == change::first_local);
  CHECK(r.add("a/+", "g", make_route(2)) == change::added);
  CHECK(r.add("a/+", "h", make_route(3)) == change::added);
  CHECK(r.add("a/#", "g", make_route(4)) == change::first_local);
  CHECK(r.route_count() == 4);
  CHECK(r.filter_count() == 2);

  // Members of a group are never plain routes.
  CHECK(plain_matches(r, "a/b").empty());
  CHECK(group_matches(r, "a/b") == names{"g a/#", "g a/+", "h a/+"});
  CHECK(group_matches(r, "a") == names{"g a/#"});
  CHECK(group_matches(r, "b/b").empty());

  share_group* g = r.find_group("a/+", "g");
  REQUIRE(g != nullptr);
  CHECK(g->name == "g");
  CHECK(g->filter == "a/+");
  REQUIRE(g->members.size() == 2);
  CHECK(g->members[0].who.session_id == 1);
  CHECK(g->members[1].who.session_id == 2);
  CHECK(g->next == 0);
  CHECK(g->sticky == SIZE_MAX);
  CHECK(r.find_group("a/+", "x") == nullptr);
  CHECK(r.find_group("a/+", "") == nullptr);
  CHECK(r.find_group("a/b", "g") == nullptr);

  // on_group hands out the group itself: state set through it stays in the router.
  r.match(
      "a/b", [](const route&) {},
      [](share_group& sg) {
        if (sg.name == "g" && sg.filter == "a/+") {
          sg.next = 1;
          sg.sticky = 1;
        }
      });
  CHECK(g->next == 1);
  CHECK(g->sticky == 1);

  // Removing a member resets the state that pointed past the end or at a member.
  CHECK(r.remove("a/+", "g", subscriber_ref{0, 2}) == change::removed);
  g = r.find_group("a/+", "g");
  REQUIRE(g != nullptr);
  REQUIRE(g->members.size() == 1);
  CHECK(g->members[0].who.session_id == 1);
  CHECK(g->next == 0);
  CHECK(g->sticky == SIZE_MAX);

  // The last member takes its group with it; the other groups stay.
  CHECK(r.remove("a/+", "g", subscriber_ref{0, 1}) == change::removed);  // "h" stays
  CHECK(r.find_group("a/+", "g") == nullptr);
  CHECK(r.find_group("a/+", "h") != nullptr);
  CHECK(group_matches(r, "a/b") == names{"g a/#", "h a/+"});
  CHECK(r.route_count() == 2);
  CHECK(r.filter_count() == 2);
}

}  // namespace
}  // namespace emqx_cpp::broker
