// SPDX-License-Identifier: Apache-2.0
//
// auto_subscribe on the SDK's fake host: the hook it takes, the subscriptions it asks the
// broker for (placeholders filled, options passed through), the topics it skips for a
// client and why, and the refusals at init.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <emqx_cpp/testing/fake_host.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

extern "C" const ecp_plugin_descriptor* emqx_cpp_plugin_entry(const ecp_abi_version*, size_t);

using emqx_cpp::sdk::testing::fake_client;
using emqx_cpp::sdk::testing::fake_host;

namespace {

void add_topic(fake_host& h, int i, const std::string& topic) {
  h.config["topics." + std::to_string(i) + ".topic"] = topic;
}

std::vector<std::string> filters_of(const fake_host& h) {
  std::vector<std::string> out;
  for (const auto& s : h.subscriptions())
    out.push_back(s.filter);
  return out;
}

}  // namespace

TEST_CASE("subscribes a connected client with placeholders filled and options passed through") {
  fake_host h;
  add_topic(h, 0, "cmd/${clientid}");
  add_topic(h, 1, "users/${username}/#");
  h.config["topics.1.qos"] = std::int64_t{2};
  h.config["topics.1.rh"] = std::int64_t{1};
  h.config["topics.1.rap"] = true;
  h.config["topics.1.nl"] = true;
  add_topic(h, 2, "peer/${host}/${port}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  REQUIRE(h.start() == ECP_OK);
  const auto hooks = h.hooks();
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].hook == ECP_HOOK_CLIENT_CONNECTED);
  CHECK(hooks[0].priority == 920);
  CHECK(h.logged(ECP_LOG_INFO, "auto_subscribe ready: 3 topics"));

  const auto r = h.fire(
      ECP_HOOK_CLIENT_CONNECTED,
      {.client = fake_client{.client_id = "dev-7", .username = "alice", .peer = "10.1.2.3:41000"}});
  CHECK(r.result == ECP_HOOK_CONTINUE);
  const auto subs = h.subscriptions();
  REQUIRE(subs.size() == 3);
  CHECK(subs[0].client_id == "dev-7");
  CHECK(subs[0].filter == "cmd/dev-7");
  CHECK(subs[0].qos == 0);
  CHECK(subs[0].no_local == 0);
  CHECK(subs[0].retain_as_published == 0);
  CHECK(subs[0].retain_handling == 0);
  CHECK(subs[1].filter == "users/alice/#");
  CHECK(subs[1].qos == 2);
  CHECK(subs[1].no_local == 1);
  CHECK(subs[1].retain_as_published == 1);
  CHECK(subs[1].retain_handling == 1);
  CHECK(subs[2].filter == "peer/10.1.2.3/41000");
  CHECK(h.counter("subscribed_total") == 3);
}

TEST_CASE("${host} of an IPv6 peer has no brackets") {
  fake_host h;
  add_topic(h, 0, "at/${host}/${port}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.peer = "[::1]:1883"}});
  CHECK(filters_of(h) == std::vector<std::string>{"at/::1/1883"});
}

TEST_CASE("a topic whose placeholder has no value is skipped for that client only") {
  fake_host h;
  add_topic(h, 0, "users/${username}");
  add_topic(h, 1, "all/${clientid}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "anon"}});
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "empty", .username = ""}});
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "bob", .username = "bob"}});
  CHECK(filters_of(h) == std::vector<std::string>{"all/anon", "all/empty", "users/bob", "all/bob"});
  CHECK(h.counter("skipped_total") == 2);
  CHECK(h.counter("subscribed_total") == 4);
  CHECK(h.logged(ECP_LOG_DEBUG,
                 "not subscribing client anon to \"users/${username}\": ${username} has no value"));
}

TEST_CASE("a value with a wildcard character is not put into a filter") {
  fake_host h;
  add_topic(h, 0, "inbox/${clientid}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "+"}});
  h.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "a#"}});
  CHECK(h.subscriptions().empty());
  CHECK(h.counter("skipped_total") == 2);
  CHECK(h.logged(ECP_LOG_WARNING, "not subscribing client + to \"inbox/${clientid}\""));
}

TEST_CASE("topics without placeholders, shared ones included, are used as written") {
  fake_host h;
  add_topic(h, 0, "$share/workers/jobs/#");
  add_topic(h, 1, "plain/topic");
  add_topic(h, 2, "odd/${other}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(h.logged(ECP_LOG_WARNING, "topics.2.topic: \"odd/${other}\" holds an unknown placeholder"));
  h.fire(ECP_HOOK_CLIENT_CONNECTED);
  CHECK(filters_of(h) ==
        std::vector<std::string>{"$share/workers/jobs/#", "plain/topic", "odd/${other}"});
}

TEST_CASE("no topics: no hook") {
  fake_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(h.hooks().empty());
}

TEST_CASE("a subscription the broker refuses is logged and not counted") {
  fake_host h;
  add_topic(h, 0, "a/${clientid}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  // The fake answers ECP_ERR_UNSUPPORTED when its table has no api_subscribe.
  h.api().size = static_cast<std::uint32_t>(offsetof(ecp_host_api, api_subscribe));
  h.fire(ECP_HOOK_CLIENT_CONNECTED);
  h.api().size = sizeof(ecp_host_api);
  CHECK(h.subscriptions().empty());
  CHECK(h.counter("subscribed_total") == 0);
  CHECK(h.logged(ECP_LOG_WARNING, "subscribing client client-1 to \"a/client-1\" failed"));
}

TEST_CASE("connects on several threads at once") {
  fake_host h;
  add_topic(h, 0, "cmd/${clientid}");
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        h.fire(ECP_HOOK_CLIENT_CONNECTED,
               {.client = fake_client{.client_id = std::to_string(t) + "-" + std::to_string(i)}});
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK(h.subscriptions().size() == 400);
  CHECK(h.counter("subscribed_total") == 400);
}

TEST_CASE("init refuses a topic that can never be a filter, naming its key") {
  struct bad_case {
    const char* topic;
    const char* message;
  };
  const bad_case cases[] = {
      {"a/#/b", "plugins.auto_subscribe.topics.1.topic: \"a/#/b\" is not a valid MQTT topic"},
      {"a/${clientid}+", "topics.1.topic: \"a/${clientid}+\" is not a valid"},
      {"$share//t", "topics.1.topic: \"$share//t\" is not a valid"},
      {"", "plugins.auto_subscribe.topics.1.topic: required, and not empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.topic);
    fake_host h;
    add_topic(h, 0, "fine/${clientid}");
    add_topic(h, 1, c.topic);
    CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
    CHECK(h.logged(ECP_LOG_ERROR, c.message));
  }
}

TEST_CASE("init refuses options out of range and no local on a shared subscription") {
  {
    fake_host h;
    add_topic(h, 0, "t");
    h.config["topics.0.qos"] = std::int64_t{3};
    CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
    CHECK(h.logged(ECP_LOG_ERROR, "plugins.auto_subscribe.topics.0.qos: must be 0, 1 or 2"));
  }
  {
    fake_host h;
    add_topic(h, 0, "t");
    h.config["topics.0.rh"] = std::int64_t{-1};
    CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
  }
  {
    fake_host h;
    add_topic(h, 0, "$share/g/t");
    h.config["topics.0.nl"] = true;
    CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
    CHECK(h.logged(ECP_LOG_ERROR, "topics.0.nl: no local is not allowed on a shared"));
  }
}
