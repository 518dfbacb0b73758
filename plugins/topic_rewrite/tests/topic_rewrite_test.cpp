// SPDX-License-Identifier: Apache-2.0
//
// topic_rewrite on the SDK's fake host: which hooks it takes, how rules are chosen (the
// example of EMQX's documentation, in configuration order), what dest_topic expands to,
// shared subscriptions, the refusals at init, and the guards (long topics, results the
// broker refuses, hooks running on several threads at once).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <emqx_cpp/testing/fake_host.hpp>

#include <string>
#include <thread>
#include <vector>

extern "C" const ecp_plugin_descriptor* emqx_cpp_plugin_entry(const ecp_abi_version*, size_t);

using emqx_cpp::sdk::testing::fake_client;
using emqx_cpp::sdk::testing::fake_host;
using emqx_cpp::sdk::testing::fake_message;

namespace {

void add_rule(fake_host& h, int i, const std::string& action, const std::string& source,
              const std::string& re, const std::string& dest) {
  const std::string key = "rules." + std::to_string(i) + ".";
  h.config[key + "action"] = action;
  h.config[key + "source_topic"] = source;
  h.config[key + "re"] = re;
  h.config[key + "dest_topic"] = dest;
}

// The rules of EMQX's topic rewrite example.
void add_doc_rules(fake_host& h) {
  add_rule(h, 0, "all", "y/+/z/#", "^y/(.+)/z/(.+)$", "y/z/$2");
  add_rule(h, 1, "all", "x/#", "^x/y/(.+)$", "z/y/x/$1");
  add_rule(h, 2, "all", "x/y/+", "^x/y/(\\d+)$", "z/y/$1");
}

std::string published_as(fake_host& h, const std::string& topic, fake_client client = {}) {
  auto r = h.fire(ECP_HOOK_MESSAGE_PUBLISH,
                  {.client = std::move(client), .message = fake_message{.topic = topic}});
  REQUIRE(r.message);
  CHECK(r.result == ECP_HOOK_CONTINUE);
  return r.message->topic;
}

std::string subscribed_as(fake_host& h, const std::string& filter, fake_client client = {}) {
  auto r = h.fire(ECP_HOOK_CLIENT_SUBSCRIBE, {.client = std::move(client), .topic = filter});
  CHECK(r.result == ECP_HOOK_CONTINUE);
  return r.topic;
}

}  // namespace

TEST_CASE("rules for all take message.publish, client.subscribe and client.unsubscribe at 980") {
  fake_host h;
  add_doc_rules(h);
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  REQUIRE(h.start() == ECP_OK);
  const auto hooks = h.hooks();
  REQUIRE(hooks.size() == 3);
  for (const auto& hook : hooks)
    CHECK(hook.priority == ECP_PRIORITY_REWRITE);
  CHECK(hooks[0].hook == ECP_HOOK_MESSAGE_PUBLISH);
  CHECK(hooks[1].hook == ECP_HOOK_CLIENT_SUBSCRIBE);
  CHECK(hooks[2].hook == ECP_HOOK_CLIENT_UNSUBSCRIBE);
  CHECK(h.logged(ECP_LOG_INFO, "3 rules, 3 for publish, 3 for subscribe"));
}

TEST_CASE("no rules: no hooks at all") {
  fake_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(h.hooks().empty());
}

TEST_CASE("the documentation's example, rules in configuration order") {
  fake_host h;
  add_doc_rules(h);
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  for (auto* as : {&published_as, &subscribed_as}) {
    CAPTURE(as == &published_as);
    CHECK(as(h, "y/a/z/b", {}) == "y/z/b");
    CHECK(as(h, "y/def", {}) == "y/def");  // no filter matches
    // x/# matches and decides; its expression does not match, so nothing changes and
    // x/y/+ is not tried (EMQX: "the rewrite fails, and no other rule will be used").
    CHECK(as(h, "x/1/2", {}) == "x/1/2");
    // x/# comes first in the file, so it is the one that rewrites.
    CHECK(as(h, "x/y/2", {}) == "z/y/x/2");
    CHECK(as(h, "x/y/z", {}) == "z/y/x/z");
  }
  CHECK(h.counter("rewritten_total", "action=publish") == 3);
  CHECK(h.counter("rewritten_total", "action=subscribe") == 3);
}

TEST_CASE("the first matching filter decides even when a later rule would match its regex") {
  fake_host h;
  add_rule(h, 0, "publish", "a/#", "^a/b/(.+)$", "first/$1");
  add_rule(h, 1, "publish", "a/+", "^a/(.+)$", "second/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(published_as(h, "a/b/c") == "first/c");
  CHECK(published_as(h, "a/c") == "a/c");
}

TEST_CASE("publish rules leave filters alone and subscribe rules leave messages alone") {
  fake_host h;
  add_rule(h, 0, "publish", "p/#", "^p/(.+)$", "pp/$1");
  add_rule(h, 1, "subscribe", "s/#", "^s/(.+)$", "ss/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(published_as(h, "p/1") == "pp/1");
  CHECK(published_as(h, "s/1") == "s/1");
  CHECK(subscribed_as(h, "p/1") == "p/1");
  CHECK(subscribed_as(h, "s/1") == "ss/1");
  const auto r = h.fire(ECP_HOOK_CLIENT_UNSUBSCRIBE, {.topic = "s/2"});
  CHECK(r.topic == "ss/2");
  CHECK(h.counter("rewritten_total", "action=unsubscribe") == 1);
  CHECK(h.counter("rewritten_total", "action=subscribe") == 1);
  CHECK(h.counter("rewritten_total", "action=publish") == 1);
}

TEST_CASE("dest_topic: groups, placeholders, and what stays as written") {
  fake_host h;
  add_rule(h, 0, "all", "d/#", "^d/(\\w+)(/opt)?/(\\w+)$",
           "u/${username}/c/${clientid}/$1$2/$3/$4");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  const fake_client alice{.client_id = "dev-1", .username = "alice"};
  CHECK(published_as(h, "d/a/opt/b", alice) == "u/alice/c/dev-1/a/opt/b/$4");
  // An optional group that did not take part is empty; $4 does not exist and stays.
  CHECK(published_as(h, "d/a/b", alice) == "u/alice/c/dev-1/a/b/$4");
  // No username: the placeholder stays as written, as in EMQX.
  const fake_client anonymous{.client_id = "dev-2"};
  CHECK(subscribed_as(h, "d/a/b", anonymous) == "u/${username}/c/dev-2/a/b/$4");
  // A message the broker publishes itself has no client: both placeholders stay.
  auto r = h.fire(ECP_HOOK_MESSAGE_PUBLISH,
                  emqx_cpp::sdk::testing::event_builder{}.without_client().with_message(
                      fake_message{.topic = "d/x/y"}));
  REQUIRE(r.message);
  CHECK(r.message->topic == "u/${username}/c/${clientid}/x/y/$4");
}

TEST_CASE("shared subscriptions: only the filter after $share/<group>/ or $queue/ is rewritten") {
  fake_host h;
  add_rule(h, 0, "subscribe", "t/#", "^t/(.+)$", "new/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(subscribed_as(h, "$share/g1/t/1") == "$share/g1/new/1");
  CHECK(subscribed_as(h, "$queue/t/2") == "$queue/new/2");
  CHECK(subscribed_as(h, "$share/g1") == "$share/g1");
  const auto r = h.fire(ECP_HOOK_CLIENT_UNSUBSCRIBE, {.topic = "$share/g2/t/3"});
  CHECK(r.topic == "$share/g2/new/3");
}

TEST_CASE("filters match as in EMQX: wildcards, parent levels, and $ topics") {
  fake_host h;
  add_rule(h, 0, "all", "#", "^(.*)$", "all/$1");
  add_rule(h, 1, "subscribe", "w/+", "^w/(.*)$", "plus/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(published_as(h, "a/b") == "all/a/b");
  // A leading wildcard does not match a topic that starts with '$' [MQTT-4.7.2-1].
  CHECK(published_as(h, "$SYS/x") == "$SYS/x");
  CHECK(subscribed_as(h, "$SYS/#") == "$SYS/#");
  // A subscribed filter is matched level by level, its wildcards as plain levels.
  CHECK(subscribed_as(h, "w/+") == "all/w/+");
}

TEST_CASE("a filter that ends in # also matches its parent level") {
  fake_host h;
  add_rule(h, 0, "publish", "a/#", "^a$", "parent");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(published_as(h, "a") == "parent");
  CHECK(published_as(h, "ab") == "ab");
}

TEST_CASE("a result the broker refuses keeps the original topic and warns once") {
  fake_host h;
  add_rule(h, 0, "publish", "a/#", "^a/(.*)$", "$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(published_as(h, "a/") == "a/");  // "$1" is empty: not a topic
  CHECK(published_as(h, "a/") == "a/");
  CHECK(published_as(h, "a/ok") == "ok");
  CHECK(h.counter("failed_total", "action=publish") == 2);
  CHECK(h.counter("rewritten_total", "action=publish") == 1);
  std::size_t warnings = 0;
  for (const auto& l : h.logs())
    warnings += l.level == ECP_LOG_WARNING ? 1 : 0;
  CHECK(warnings == 1);
  CHECK(h.logged(ECP_LOG_WARNING, "rules.0 rewrote topic \"a/\""));
}

TEST_CASE("topics too long for the regex engine are left alone, not crashed on") {
  fake_host h;
  add_rule(h, 0, "publish", "long/#", "^long/(.+)$", "short/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  const std::string at_limit = "long/" + std::string(4096 - 5, 'a');
  const std::string over = at_limit + "a";
  // On a thread of its own, as on a worker: the limit must hold there too.
  std::string a;
  std::string b;
  std::thread t([&] {
    a = published_as(h, at_limit);
    b = published_as(h, over);
  });
  t.join();
  CHECK(a == "short/" + std::string(4096 - 5, 'a'));
  CHECK(b == over);
  CHECK(h.counter("skipped_total", "reason=too_long") == 1);
}

TEST_CASE("hooks on several threads at once") {
  fake_host h;
  add_rule(h, 0, "all", "in/+/x", "^in/(\\d+)/x$", "out/${clientid}/$1");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  REQUIRE(h.start() == ECP_OK);
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const fake_client c{.client_id = "c" + std::to_string(t)};
      for (int i = 0; i < 200; ++i) {
        const std::string n = std::to_string(i);
        const std::string expected = "out/c" + std::to_string(t) + "/" + n;
        auto p = h.fire(ECP_HOOK_MESSAGE_PUBLISH,
                        {.client = c, .message = fake_message{.topic = "in/" + n + "/x"}});
        auto s = h.fire(ECP_HOOK_CLIENT_SUBSCRIBE, {.client = c, .topic = "in/" + n + "/x"});
        if (!p.message || p.message->topic != expected || s.topic != expected) ++wrong[t];
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (int w : wrong)
    CHECK(w == 0);
  CHECK(h.counter("rewritten_total", "action=publish") == 800);
  CHECK(h.counter("rewritten_total", "action=subscribe") == 800);
}

TEST_CASE("init refuses a bad rule, naming its key") {
  struct bad_case {
    const char* what;
    const char* action;
    const char* source;
    const char* re;
    const char* dest;
    const char* message;
  };
  const bad_case cases[] = {
      {"a regex that does not compile", "all", "a/#", "^a/(.+$", "b/$1",
       "plugins.topic_rewrite.rules.1.re: invalid regular expression \"^a/(.+$\""},
      {"an unknown action", "bogus", "a/#", "^a$", "b",
       "plugins.topic_rewrite.rules.1.action: must be one of publish, subscribe, all"},
      {"a source that is not a filter", "all", "a/#/b", "^a$", "b",
       "plugins.topic_rewrite.rules.1.source_topic: \"a/#/b\" is not a valid MQTT topic "
       "filter"},
      {"a partial wildcard level", "all", "a/b+", "^a$", "b",
       "rules.1.source_topic: \"a/b+\" is not a valid"},
      {"an empty destination", "all", "a/#", "^a$", "", "rules.1.dest_topic: must not be empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    fake_host h;
    add_rule(h, 0, "all", "ok/#", "^ok$", "fine");
    add_rule(h, 1, c.action, c.source, c.re, c.dest);
    CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
    CHECK(h.logged(ECP_LOG_ERROR, c.message));
    CHECK(h.hooks().empty());  // undone with the failed init
  }
}

TEST_CASE("init refuses a rule with a key missing") {
  fake_host h;
  h.config["rules.0.action"] = std::string{"all"};
  h.config["rules.0.source_topic"] = std::string{"a/#"};
  h.config["rules.0.re"] = std::string{"^a$"};
  CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
  CHECK(h.logged(ECP_LOG_ERROR, "plugins.topic_rewrite.rules.0."));
}
