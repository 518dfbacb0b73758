// SPDX-License-Identifier: Apache-2.0
//
// The in-memory retained store under each retainer setting: a retained message is
// stored, replaced and cleared by an empty payload; exact and wildcard filters find it
// until it expires; max_payload_size and max_retained_messages refuse (expired
// messages making room first); msg_expiry_interval applies to the stored copy only;
// sweep() removes what expired; a disabled store keeps nothing.
#include "broker/retainer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace emqx_cpp::broker {
namespace {

using namespace std::chrono_literals;
using outcome = retained_store::store_result;
using topic_list = std::vector<std::string>;

std::shared_ptr<message> make_retained(std::string topic, std::string payload,
                                       steady_clock::time_point expires_at = {}) {
  auto m = std::make_shared<message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->qos = 1;
  m->expires_at = expires_at;
  return m;
}

topic_list matched_topics(const retainer& r, std::string_view filter,
                          steady_clock::time_point now) {
  topic_list out;
  for (const auto& m : r.match(filter, now))
    out.push_back(m->topic);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("retainer: stores, replaces, and clears on an empty payload") {
  retainer r(config::retainer_config{});
  const auto now = steady_clock::now();
  auto first = make_retained("a/b", "1");
  CHECK(r.store(first) == outcome::stored);
  CHECK(r.size() == 1);
  auto found = r.match("a/b", now);
  REQUIRE(found.size() == 1);
  CHECK(found[0] == first);  // no expiry to add: the message itself is kept

  CHECK(r.store(make_retained("a/b", "2")) == outcome::stored);
  CHECK(r.size() == 1);
  found = r.match("a/b", now);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->payload == "2");

  CHECK(r.store(make_retained("a/b", "")) == outcome::cleared);
  CHECK(r.size() == 0);
  CHECK(r.match("a/b", now).empty());
  CHECK(r.match("#", now).empty());
  CHECK(r.store(make_retained("never/stored", "")) == outcome::cleared);
  CHECK(r.size() == 0);
}

TEST_CASE("retainer: exact and wildcard filters") {
  retainer r(config::retainer_config{});
  for (const char* t : {"a/b", "a/c", "a/b/c", "b", "$SYS/x"})
    REQUIRE(r.store(make_retained(t, "x")) == outcome::stored);
  const auto now = steady_clock::now();
  CHECK(matched_topics(r, "a/b", now) == topic_list{"a/b"});
  CHECK(matched_topics(r, "a/x", now).empty());
  CHECK(matched_topics(r, "a/+", now) == topic_list{"a/b", "a/c"});
  CHECK(matched_topics(r, "+/b", now) == topic_list{"a/b"});
  CHECK(matched_topics(r, "a/#", now) == topic_list{"a/b", "a/b/c", "a/c"});
  // '#' at the root leaves out '$' topics [MQTT-4.7.2-1].
  CHECK(matched_topics(r, "#", now) == topic_list{"a/b", "a/b/c", "a/c", "b"});
  CHECK(matched_topics(r, "$SYS/#", now) == topic_list{"$SYS/x"});
}

TEST_CASE("retainer: an expired message is not matched") {
  retainer r(config::retainer_config{});
  const auto now = steady_clock::now();
  REQUIRE(r.store(make_retained("a/b", "x", now + 1s)) == outcome::stored);
  CHECK(matched_topics(r, "a/b", now) == topic_list{"a/b"});
  CHECK(matched_topics(r, "a/+", now) == topic_list{"a/b"});
  CHECK(matched_topics(r, "a/b", now + 1s).empty());
  CHECK(matched_topics(r, "a/+", now + 1s).empty());
  CHECK(r.size() == 1);  // still there until a sweep
}

TEST_CASE("retainer: max_payload_size refuses larger payloads") {
  config::retainer_config cfg;
  cfg.max_payload_size = 4;
  retainer r(cfg);
  CHECK(r.store(make_retained("big", "12345")) == outcome::refused_too_large);
  CHECK(r.size() == 0);
  CHECK(r.store(make_retained("fits", "1234")) == outcome::stored);
  CHECK(r.size() == 1);
  CHECK(r.store(make_retained("fits", "")) == outcome::cleared);  // clearing is never too large

  cfg.max_payload_size = 0;  // no limit
  retainer unlimited(cfg);
  CHECK(unlimited.store(make_retained("big", std::string(100000, 'x'))) == outcome::stored);
}

TEST_CASE("retainer: max_retained_messages refuses new topics; expired ones make room") {
  config::retainer_config cfg;
  cfg.max_retained_messages = 2;
  retainer r(cfg);
  CHECK(r.store(make_retained("a", "1")) == outcome::stored);
  CHECK(r.store(make_retained("b", "1")) == outcome::stored);
  CHECK(r.store(make_retained("c", "1")) == outcome::refused_full);
  CHECK(r.store(make_retained("a", "2")) == outcome::stored);  // a replacement takes no room
  CHECK(r.size() == 2);
  CHECK(r.store(make_retained("a", "")) == outcome::cleared);
  CHECK(r.store(make_retained("c", "1")) == outcome::stored);
  CHECK(r.size() == 2);

  retainer full(cfg);
  const auto past = steady_clock::now() - 1s;
  CHECK(full.store(make_retained("old", "1", past)) == outcome::stored);
  CHECK(full.store(make_retained("live", "1")) == outcome::stored);
  CHECK(full.store(make_retained("new", "1")) == outcome::stored);  // "old" gives way
  CHECK(full.size() == 2);
  const auto now = steady_clock::now();
  CHECK(matched_topics(full, "#", now) == topic_list{"live", "new"});
}

TEST_CASE("retainer: msg_expiry_interval applies to the stored copy only") {
  config::retainer_config cfg;
  cfg.msg_expiry_interval_ms = 60000;
  retainer r(cfg);
  auto m = make_retained("a/b", "x");
  const auto before = steady_clock::now();
  REQUIRE(r.store(m) == outcome::stored);
  const auto after = steady_clock::now();
  CHECK(m->expires_at == steady_clock::time_point{});  // the live message is untouched

  auto found = r.match("a/b", after);
  REQUIRE(found.size() == 1);
  CHECK(found[0] != m);
  CHECK(found[0]->payload == "x");
  CHECK(found[0]->topic == "a/b");
  CHECK(found[0]->expires_at >= before + 60s);
  CHECK(found[0]->expires_at <= after + 60s);
  CHECK(r.match("a/b", after + 60s).empty());

  // A message with an expiry of its own keeps it.
  auto own = make_retained("c", "y", before + 5s);
  REQUIRE(r.store(own) == outcome::stored);
  found = r.match("c", before);
  REQUIRE(found.size() == 1);
  CHECK(found[0] == own);
  CHECK(found[0]->expires_at == before + 5s);
}

TEST_CASE("retainer: sweep removes expired messages and counts them") {
  retainer r(config::retainer_config{});
  const auto now = steady_clock::now();
  REQUIRE(r.store(make_retained("a", "1", now + 1s)) == outcome::stored);
  REQUIRE(r.store(make_retained("b", "1", now + 2s)) == outcome::stored);
  REQUIRE(r.store(make_retained("c", "1")) == outcome::stored);
  CHECK(r.sweep(now) == 0);
  CHECK(r.size() == 3);
  CHECK(r.sweep(now + 1s) == 1);
  CHECK(r.size() == 2);
  CHECK(r.sweep(now + 2s) == 1);
  CHECK(r.size() == 1);
  CHECK(r.sweep(now + 24h) == 0);  // no expiry: never swept
  CHECK(matched_topics(r, "#", now + 24h) == topic_list{"c"});
}

TEST_CASE("retainer: a disabled store keeps nothing") {
  config::retainer_config cfg;
  cfg.enable = false;
  retainer r(cfg);
  CHECK(r.store(make_retained("a", "1")) == outcome::disabled);
  CHECK(r.store(make_retained("a", "")) == outcome::disabled);
  CHECK(r.size() == 0);
  CHECK(r.match("a", steady_clock::now()).empty());
  CHECK(r.match("#", steady_clock::now()).empty());
}

}  // namespace
}  // namespace emqx_cpp::broker
