// SPDX-License-Identifier: Apache-2.0
//
// plugin.hpp at the boundary: exceptions become status codes and log lines, hooks get
// their own slots, views read and write what the broker passes, and a shorter host table
// (an older broker) turns newer calls into ECP_ERR_UNSUPPORTED instead of a crash.
#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "scratch_plugin.hpp"

namespace sdk = emqx_cpp::sdk;
using sdk::event_view;
using sdk::hook_result;
using sdk::test::load_scratch;
using sdk::testing::fake_client;
using sdk::testing::fake_host;
using sdk::testing::fake_message;

namespace {

int destroyed = 0;  // plugin objects destroyed, for the lifecycle cases

class throws_in_init : public sdk::plugin {
 public:
  ~throws_in_init() override { ++destroyed; }
  ecp_status init() override {
    on(ECP_HOOK_MESSAGE_PUBLISH, 1,
       [](const event_view&, ecp_hook_reply&) { return hook_result::continue_chain; });
    throw std::runtime_error("bad config");
  }
};

class fails_init : public sdk::plugin {
 public:
  ~fails_init() override { ++destroyed; }
  ecp_status init() override { return ECP_ERR_INVALID_ARGUMENT; }
};

class throws_in_constructor : public sdk::plugin {
 public:
  throws_in_constructor() { throw std::logic_error("no"); }
};

class throws_everywhere : public sdk::plugin {
 public:
  ecp_status start() override { throw std::runtime_error("start failed"); }
  ecp_status stop() override { throw 7; }
  ecp_status health() override { throw std::runtime_error("sick"); }
};

class sees_host_in_constructor : public sdk::plugin {
 public:
  sees_host_in_constructor() : attached_at_construction(host().attached()) {}
  bool attached_at_construction;
};

}  // namespace

TEST_CASE("a hook that throws returns ECP_HOOK_CRASHED and logs what()") {
  fake_host fake;
  auto& p = load_scratch(fake);
  p.on(ECP_HOOK_MESSAGE_PUBLISH, 10,
       [](const event_view&, ecp_hook_reply&) -> hook_result { throw std::runtime_error("boom"); });
  const auto r = fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{}});
  CHECK(r.results == std::vector<ecp_hook_result>{ECP_HOOK_CRASHED});
  CHECK(r.crashed == 1);
  CHECK(r.result == ECP_HOOK_CONTINUE);  // the chain goes on as for CONTINUE
  CHECK(fake.logged(ECP_LOG_ERROR, "hook message.publish threw: boom"));
}

TEST_CASE("a hook that throws something else is a crash too") {
  fake_host fake;
  auto& p = load_scratch(fake);
  p.on(ECP_HOOK_CLIENT_CONNECTED, 10,
       [](const event_view&, ecp_hook_reply&) -> hook_result { throw 42; });
  CHECK(fake.fire(ECP_HOOK_CLIENT_CONNECTED).results ==
        std::vector<ecp_hook_result>{ECP_HOOK_CRASHED});
  CHECK(fake.logged(ECP_LOG_ERROR, "hook client.connected threw: an exception not derived"));
}

TEST_CASE("init that throws returns ECP_ERR_CRASHED, logs, and leaves nothing registered") {
  destroyed = 0;
  fake_host fake;
  CHECK(fake.load<throws_in_init>() == ECP_ERR_CRASHED);
  CHECK(fake.logged(ECP_LOG_ERROR, "init threw: bad config"));
  CHECK(fake.hooks().empty());
  CHECK(destroyed == 1);
  CHECK(fake.current_phase() == fake_host::phase::unloaded);
}

TEST_CASE("init's own error status reaches the broker and the object is destroyed") {
  destroyed = 0;
  fake_host fake;
  CHECK(fake.load<fails_init>() == ECP_ERR_INVALID_ARGUMENT);
  CHECK(destroyed == 1);
}

TEST_CASE("a constructor that throws is a crash of on_init") {
  fake_host fake;
  CHECK(fake.load<throws_in_constructor>() == ECP_ERR_CRASHED);
  CHECK(fake.logged(ECP_LOG_ERROR, "constructor threw: no"));
}

TEST_CASE("start, stop and health that throw return ECP_ERR_CRASHED") {
  fake_host fake;
  REQUIRE(fake.load<throws_everywhere>() == ECP_OK);
  CHECK(fake.start() == ECP_ERR_CRASHED);
  CHECK(fake.logged(ECP_LOG_ERROR, "start threw: start failed"));
  CHECK(fake.health() == ECP_ERR_CRASHED);
  CHECK(fake.logged(ECP_LOG_ERROR, "health threw: sick"));
  // stop() is reached through the C callback directly: start failed, so the fake
  // would not call it.
  CHECK(fake.descriptor()->on_stop(fake.state()) == ECP_ERR_CRASHED);
  CHECK(fake.logged(ECP_LOG_ERROR, "stop threw"));
}

TEST_CASE("the constructor runs detached and init() has the host") {
  fake_host fake;
  REQUIRE(fake.load<sees_host_in_constructor>() == ECP_OK);
  CHECK_FALSE(fake.instance<sees_host_in_constructor>()->attached_at_construction);
}

TEST_CASE("several hooks per plugin get their own user_data and run by priority") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<std::string> ran;
  const auto hook = [&ran](const std::string& name) {
    return [&ran, name](const event_view&, ecp_hook_reply&) {
      ran.push_back(name);
      return hook_result::continue_chain;
    };
  };
  const auto low = p.on(ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_LOWEST, hook("low"));
  const auto high = p.on(ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_HIGHEST, hook("high"));
  const auto other = p.on(ECP_HOOK_CLIENT_CONNECTED, ECP_PRIORITY_DEFAULT, hook("connected"));
  CHECK(low != 0);
  CHECK(high != 0);
  CHECK(other != 0);

  const auto regs = fake.hooks();
  REQUIRE(regs.size() == 3);
  CHECK(regs[0].user_data != regs[1].user_data);
  CHECK(regs[1].user_data != regs[2].user_data);
  CHECK(regs[0].priority == ECP_PRIORITY_LOWEST);
  CHECK(regs[1].priority == ECP_PRIORITY_HIGHEST);

  fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{}});
  CHECK(ran == std::vector<std::string>{"high", "low"});
  fake.fire(ECP_HOOK_CLIENT_CONNECTED);
  CHECK(ran.back() == "connected");

  CHECK(p.off(high) == ECP_OK);
  CHECK(p.off(high) == ECP_ERR_NOT_FOUND);
  ran.clear();
  fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{}});
  CHECK(ran == std::vector<std::string>{"low"});
}

TEST_CASE("event_view reads every member the broker set") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::string seen;
  p.on(ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN, [&](const event_view& e, ecp_hook_reply&) {
    const auto c = e.client();
    REQUIRE(c);
    CHECK(e.hook() == ECP_HOOK_CLIENT_AUTHENTICATE);
    CHECK(c->client_id == "dev-7");
    CHECK(c->username == std::optional<std::string_view>{"alice"});
    CHECK(c->peer == "10.0.0.1:4000");
    CHECK(c->listener == "tcp:default");
    CHECK(c->protocol_version == 4);
    CHECK(c->keepalive == 30);
    CHECK(c->clean_start);
    CHECK_FALSE(c->is_superuser);
    REQUIRE(e.password());
    seen = std::string{*e.password()};
    CHECK(e.token() != 0);
    CHECK_FALSE(e.message());
    return hook_result::continue_chain;
  });
  const std::string password{"p\0w", 3};
  fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.client_id = "dev-7",
                                                                 .username = "alice",
                                                                 .peer = "10.0.0.1:4000",
                                                                 .protocol_version = 4,
                                                                 .keepalive = 30},
                                           .password = password});
  CHECK(seen == password);  // NUL bytes survive

  p.on(ECP_HOOK_CLIENT_AUTHORIZE, ECP_PRIORITY_AUTHZ, [](const event_view& e, ecp_hook_reply& r) {
    CHECK(e.topic() == "a/b");
    CHECK(e.qos() == 1);
    CHECK(e.retain());
    CHECK(e.action() == ECP_ACTION_PUBLISH);
    CHECK_FALSE(e.password());
    return sdk::stop_with(r, ECP_RC_NOT_AUTHORIZED);
  });
  const auto r = fake.fire(ECP_HOOK_CLIENT_AUTHORIZE, {.topic = "a/b", .qos = 1, .retain = true});
  CHECK(r.result == ECP_HOOK_STOP);
  CHECK(r.reply.code == ECP_RC_NOT_AUTHORIZED);
}

TEST_CASE("message setters change the message in message.publish only") {
  fake_host fake;
  auto& p = load_scratch(fake);
  const auto edit = [](const event_view& e, ecp_hook_reply&) {
    const auto m = e.message();
    REQUIRE(m);
    CHECK(m->topic() == "in/1");
    CHECK(m->payload_text() == "raw");
    CHECK(m->payload().size() == 3);
    CHECK(m->qos() == 1);
    CHECK_FALSE(m->retain());
    CHECK(m->publisher() == "pub-1");
    const ecp_status expected = e.hook() == ECP_HOOK_MESSAGE_PUBLISH ? ECP_OK : ECP_ERR_WRONG_STATE;
    CHECK(m->set_topic("out/1") == expected);
    CHECK(m->set_payload("cooked") == expected);
    CHECK(m->set_qos(2) == expected);
    CHECK(m->set_retain(true) == expected);
    CHECK(m->add_user_property("k", "v") == expected);
    return hook_result::continue_chain;
  };
  p.on(ECP_HOOK_MESSAGE_PUBLISH, 1, edit);
  p.on(ECP_HOOK_MESSAGE_DELIVERED, 1, edit);
  const fake_message in{.topic = "in/1", .payload = "raw", .qos = 1, .publisher = "pub-1"};

  const auto published = fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = in});
  REQUIRE(published.message);
  CHECK(published.message->topic == "out/1");
  CHECK(published.message->payload == "cooked");
  CHECK(published.message->qos == 2);
  CHECK(published.message->retain);
  CHECK(published.message->user_properties ==
        std::vector<std::pair<std::string, std::string>>{{"k", "v"}});

  const auto delivered = fake.fire(ECP_HOOK_MESSAGE_DELIVERED, {.message = in});
  CHECK(delivered.message->topic == "in/1");
  CHECK(delivered.message->user_properties.empty());
}

TEST_CASE("set_topic rewrites a subscription's filter for the rest of the chain") {
  fake_host fake;
  auto& p = load_scratch(fake);
  p.on(ECP_HOOK_CLIENT_SUBSCRIBE, ECP_PRIORITY_REWRITE, [](const event_view& e, ecp_hook_reply&) {
    CHECK(e.set_topic("tenant/a/" + std::string{e.topic()}) == ECP_OK);
    return hook_result::continue_chain;
  });
  std::string seen_later;
  p.on(ECP_HOOK_CLIENT_SUBSCRIBE, ECP_PRIORITY_AUTHZ, [&](const event_view& e, ecp_hook_reply&) {
    seen_later = std::string{e.topic()};
    return hook_result::continue_chain;
  });
  p.on(ECP_HOOK_SESSION_SUBSCRIBED, 1, [](const event_view& e, ecp_hook_reply&) {
    CHECK(e.set_topic("x") == ECP_ERR_WRONG_STATE);
    return hook_result::continue_chain;
  });
  const auto r = fake.fire(ECP_HOOK_CLIENT_SUBSCRIBE, {.topic = "sensors/#", .qos = 1});
  CHECK(seen_later == "tenant/a/sensors/#");
  CHECK(r.topic == "tenant/a/sensors/#");
  fake.fire(ECP_HOOK_SESSION_SUBSCRIBED, {.topic = "t"});
}

TEST_CASE("a shorter host table makes the newer calls unsupported, not a crash") {
  fake_host fake;
  auto& p = load_scratch(fake);
  p.on(ECP_HOOK_CLIENT_SUBSCRIBE, 1, [](const event_view& e, ecp_hook_reply&) {
    CHECK(e.set_topic("x") == ECP_ERR_UNSUPPORTED);
    return hook_result::continue_chain;
  });
  // Play a broker whose table ends just before api_event_set_topic.
  fake.api().size = static_cast<std::uint32_t>(offsetof(ecp_host_api, api_event_set_topic));
  const auto r = fake.fire(ECP_HOOK_CLIENT_SUBSCRIBE, {.topic = "t"});
  CHECK(r.topic == "t");
  CHECK(r.crashed == 0);

  fake.api().size = static_cast<std::uint32_t>(offsetof(ecp_host_api, api_log));
  p.host().info("goes nowhere");
  CHECK(p.host().publish("t", "x") == ECP_ERR_UNSUPPORTED);
  CHECK_FALSE(p.host().config_string("k"));
  CHECK(fake.logs().empty());
}

TEST_CASE("host calls reach the broker with the right arguments") {
  fake_host fake;
  auto& p = load_scratch(fake);
  auto& h = p.host();
  CHECK(h.attached());
  CHECK(h.abi().major == ECP_ABI_MAJOR);
  h.debug("d");
  h.warning("w");
  h.log(ECP_LOG_ERROR, std::string(300, 'x'));  // longer than the on-stack copy
  CHECK(fake.logged(ECP_LOG_DEBUG, "d"));
  CHECK(fake.logged(ECP_LOG_WARNING, "w"));
  CHECK(fake.logs().back().text.size() == 300);

  h.counter_add("hits");
  h.counter_add("hits", 4);
  h.counter_add("hits", 2, "kind=a");
  h.gauge_set("depth", -3);
  h.histogram_observe("latency", 0.25, "op=x");
  CHECK(fake.counter("hits") == 5);
  CHECK(fake.counter("hits", "kind=a") == 2);
  CHECK(fake.gauge("depth") == -3);
  CHECK(fake.observations("latency", "op=x") == std::vector<double>{0.25});

  const std::byte bin[] = {std::byte{0}, std::byte{0xff}};
  CHECK(h.publish("bin/1", std::span<const std::byte>{bin}, 1, true) == ECP_OK);
  CHECK(h.publish("text/1", "hello") == ECP_OK);
  CHECK(h.publish("", "bad") == ECP_ERR_INVALID_ARGUMENT);
  const auto pubs = fake.published();
  REQUIRE(pubs.size() == 2);
  CHECK(pubs[0].payload == std::string{"\0\xff", 2});
  CHECK(pubs[0].qos == 1);
  CHECK(pubs[0].retain);
  CHECK(pubs[1].topic == "text/1");

  CHECK(h.kick("c9") == ECP_OK);
  CHECK(fake.kicks() == std::vector<std::string>{"c9"});
  CHECK(h.subscribe("c9", "cmd/c9", 1, {.no_local = true, .retain_handling = 2}) == ECP_OK);
  const auto subs = fake.subscriptions();
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].filter == "cmd/c9");
  CHECK(subs[0].no_local == 1);
  CHECK(subs[0].retain_as_published == 0);
  CHECK(subs[0].retain_handling == 2);

  static const ecp_retained_store_provider vtable{sizeof vtable, nullptr, nullptr, nullptr,
                                                  nullptr};
  CHECK(p.provide(ECP_PROVIDER_RETAINED_STORE, &vtable, &p) == ECP_OK);
  CHECK(p.provide(ECP_PROVIDER_RETAINED_STORE, &vtable, &p) == ECP_ERR_BUSY);
  REQUIRE(fake.providers().size() == 1);
  CHECK(fake.providers()[0].vtable == &vtable);
}

TEST_CASE("client_info copies the client, which then outlives the broker's buffers") {
  fake_host fake;
  auto& p = load_scratch(fake);
  fake.connect_client({.client_id = "c1", .username = "u1", .is_superuser = true});
  auto c = p.host().client_info("c1");
  fake.disconnect_client("c1");
  REQUIRE(c);
  const sdk::client_view copy = *c;
  c.reset();
  CHECK(copy.client_id == "c1");
  CHECK(copy.username == std::optional<std::string_view>{"u1"});
  CHECK(copy.is_superuser);
  CHECK_FALSE(p.host().client_info("c1"));
  fake.connect_client({.client_id = "anon"});
  CHECK_FALSE(p.host().client_info("anon")->username);
}

TEST_CASE("an async answer goes through complete() with the event's token") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::uint64_t token = 0;
  p.on(ECP_HOOK_CLIENT_AUTHENTICATE, ECP_PRIORITY_AUTHN, [&](const event_view& e, ecp_hook_reply&) {
    token = e.token();
    return hook_result::async;
  });
  const auto r = fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE);
  CHECK(r.result == ECP_HOOK_ASYNC);
  CHECK(r.token == token);
  CHECK(p.host().complete(token, hook_result::stop, ECP_OK, true) == ECP_OK);
  CHECK(p.host().complete(token, hook_result::stop) == ECP_ERR_NOT_FOUND);
  const auto done = fake.completions();
  REQUIRE(done.size() == 2);
  CHECK(done[0].result == ECP_HOOK_STOP);
  CHECK(done[0].reply.code == ECP_OK);
  CHECK(done[0].reply.is_superuser == 1);

  const auto late = fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE);
  fake.expire(late.token);
  CHECK(p.host().complete(late.token, hook_result::stop, ECP_RC_BANNED) == ECP_ERR_TIMEOUT);
}
