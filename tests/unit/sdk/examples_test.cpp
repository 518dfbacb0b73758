// SPDX-License-Identifier: Apache-2.0
//
// The two SDK examples, compiled into this test (their entry symbols renamed) and run
// on the fake host: the behaviour the integration tests will see in the real broker.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "scratch_plugin.hpp"

extern "C" const ecp_plugin_descriptor* hello_c_plugin_entry(const ecp_abi_version*, size_t);
extern "C" const ecp_plugin_descriptor* hello_cpp_plugin_entry(const ecp_abi_version*, size_t);

using emqx_cpp::sdk::testing::fake_client;
using emqx_cpp::sdk::testing::fake_host;
using emqx_cpp::sdk::testing::fake_message;
using property_list = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("hello_c refuses the banned user with 0x8A and counts it") {
  fake_host fake;
  fake.config["banned_user"] = "eve";
  REQUIRE(fake.load(&hello_c_plugin_entry) == ECP_OK);
  REQUIRE(fake.start() == ECP_OK);
  CHECK(fake.logged(ECP_LOG_INFO, "hello_c ready, banned_user=eve"));
  const auto hooks = fake.hooks();
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].hook == ECP_HOOK_CLIENT_AUTHENTICATE);
  CHECK(hooks[0].priority == ECP_PRIORITY_AUTHN);

  const auto eve =
      fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.username = "eve"}});
  CHECK(eve.result == ECP_HOOK_STOP);
  CHECK(eve.reply.code == ECP_RC_BANNED);
  CHECK(fake.counter("refused_total") == 1);

  const auto bob =
      fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.username = "bob"}});
  CHECK(bob.result == ECP_HOOK_CONTINUE);
  const auto anonymous = fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE);
  CHECK(anonymous.result == ECP_HOOK_CONTINUE);
  const auto evelyn =
      fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.username = "evelyn"}});
  CHECK(evelyn.result == ECP_HOOK_CONTINUE);
  CHECK(fake.counter("refused_total") == 1);

  CHECK(fake.health() == ECP_OK);
  CHECK(fake.stop() == ECP_OK);
  fake.unload();  // frees its state: LeakSanitizer would say otherwise
}

TEST_CASE("hello_c bans mallory when the host gives no value") {
  fake_host fake;
  REQUIRE(fake.load(&hello_c_plugin_entry) == ECP_OK);
  CHECK(fake.logged(ECP_LOG_INFO, "banned_user=mallory"));
  const auto r =
      fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.username = "mallory"}});
  CHECK(r.reply.code == ECP_RC_BANNED);
}

TEST_CASE("hello_cpp tags messages under its prefix and counts them") {
  fake_host fake;
  fake.config["greeting"] = "hi";
  fake.config["tag_topic_prefix"] = "t/";
  REQUIRE(fake.load(&hello_cpp_plugin_entry) == ECP_OK);
  REQUIRE(fake.start() == ECP_OK);
  CHECK(fake.logged(ECP_LOG_INFO, "hello_cpp ready, greeting=hi"));

  const auto tagged = fake.fire(ECP_HOOK_MESSAGE_PUBLISH,
                                {.message = fake_message{.topic = "t/x", .payload = "1"}});
  CHECK(tagged.result == ECP_HOOK_CONTINUE);
  REQUIRE(tagged.message);
  CHECK(tagged.message->user_properties == property_list{{"greeting", "hi"}});
  CHECK(tagged.message->topic == "t/x");
  CHECK(tagged.message->payload == "1");

  const auto untouched =
      fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{.topic = "other/t/x"}});
  CHECK(untouched.message->user_properties.empty());
  CHECK(fake.counter("tagged_total") == 1);
}

TEST_CASE("hello_cpp greets a connected client on hello/<client id>") {
  fake_host fake;
  fake.config["greeting"] = "hi";
  REQUIRE(fake.load(&hello_cpp_plugin_entry) == ECP_OK);
  fake.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "c1"}});
  const auto pubs = fake.published();
  REQUIRE(pubs.size() == 1);
  CHECK(pubs[0].topic == "hello/c1");
  CHECK(pubs[0].payload == "hi c1");
  CHECK(pubs[0].qos == 0);
  CHECK_FALSE(pubs[0].retain);
}

TEST_CASE("hello_cpp falls back to its manifest defaults") {
  fake_host fake;
  REQUIRE(fake.load(&hello_cpp_plugin_entry) == ECP_OK);
  const auto r =
      fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{.topic = "tagged/a"}});
  CHECK(r.message->user_properties == property_list{{"greeting", "hello"}});
  fake.fire(ECP_HOOK_CLIENT_CONNECTED, {.client = fake_client{.client_id = "x"}});
  REQUIRE(fake.published().size() == 1);
  CHECK(fake.published()[0].payload == "hello x");
}
