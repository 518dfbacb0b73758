// SPDX-License-Identifier: Apache-2.0
//
// The fake host's chain folding, which plugin tests rely on to mean what the broker
// does: priority order (stable for equal priorities), STOP ends the chain, CRASHED goes
// on, ASYNC only where a decision can be deferred, nothing runs outside init..stop.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "scratch_plugin.hpp"

using emqx_cpp::sdk::event_view;
using emqx_cpp::sdk::hook_result;
using emqx_cpp::sdk::test::load_scratch;
using emqx_cpp::sdk::testing::fake_host;
using emqx_cpp::sdk::testing::fake_message;

namespace {

auto answer(std::vector<int>& ran, int tag, hook_result r, ecp_status code = ECP_OK) {
  return [&ran, tag, r, code](const event_view&, ecp_hook_reply& reply) {
    ran.push_back(tag);
    reply.code = code;
    return r;
  };
}

}  // namespace

TEST_CASE("STOP ends the chain with its reply, and equal priorities keep registration order") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  p.on(ECP_HOOK_CLIENT_AUTHORIZE, 10, answer(ran, 1, hook_result::continue_chain));
  p.on(ECP_HOOK_CLIENT_AUTHORIZE, 10, answer(ran, 2, hook_result::stop, ECP_RC_NOT_AUTHORIZED));
  p.on(ECP_HOOK_CLIENT_AUTHORIZE, 5, answer(ran, 3, hook_result::stop, ECP_OK));
  const auto r = fake.fire(ECP_HOOK_CLIENT_AUTHORIZE, {.topic = "t"});
  CHECK(ran == std::vector<int>{1, 2});
  CHECK(r.result == ECP_HOOK_STOP);
  CHECK(r.reply.code == ECP_RC_NOT_AUTHORIZED);
}

TEST_CASE("a crashed callback is skipped and the chain goes on") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  p.on(ECP_HOOK_CLIENT_AUTHENTICATE, 20, answer(ran, 1, hook_result::crashed));
  p.on(ECP_HOOK_CLIENT_AUTHENTICATE, 10, answer(ran, 2, hook_result::stop, ECP_OK));
  const auto r = fake.fire(ECP_HOOK_CLIENT_AUTHENTICATE);
  CHECK(r.results == std::vector<ecp_hook_result>{ECP_HOOK_CRASHED, ECP_HOOK_STOP});
  CHECK(r.crashed == 1);
  CHECK(r.result == ECP_HOOK_STOP);
}

TEST_CASE("ASYNC outside authenticate/authorize is a contract violation, counted as a crash") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  p.on(ECP_HOOK_MESSAGE_PUBLISH, 10, answer(ran, 1, hook_result::async));
  const auto r = fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{}});
  CHECK(r.result == ECP_HOOK_CONTINUE);
  CHECK(r.crashed == 1);
  REQUIRE(r.violations.size() == 1);
  CHECK(r.violations[0].find("message.publish") != std::string::npos);
}

TEST_CASE("message.publish: STOP with a non-OK code drops the message") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  p.on(ECP_HOOK_MESSAGE_PUBLISH, 10, answer(ran, 1, hook_result::stop, ECP_RC_QUOTA_EXCEEDED));
  CHECK(fake.fire(ECP_HOOK_MESSAGE_PUBLISH, {.message = fake_message{}}).dropped());
}

TEST_CASE("hooks run from init until stop, and not after") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  p.on(ECP_HOOK_SESSION_CREATED, 1, answer(ran, 1, hook_result::continue_chain));
  fake.fire(ECP_HOOK_SESSION_CREATED);
  REQUIRE(fake.start() == ECP_OK);
  CHECK(fake.start() == ECP_ERR_WRONG_STATE);
  fake.fire(ECP_HOOK_SESSION_CREATED);
  REQUIRE(fake.stop() == ECP_OK);
  fake.fire(ECP_HOOK_SESSION_CREATED);
  CHECK(ran == std::vector<int>{1, 1});
  fake.unload();
  CHECK(fake.hooks().empty());
}

TEST_CASE("the broker refuses a hook point it does not know") {
  fake_host fake;
  auto& p = load_scratch(fake);
  std::vector<int> ran;
  CHECK(p.on(static_cast<ecp_hook_point>(ECP_HOOK_POINT_COUNT + 1), 1,
             answer(ran, 1, hook_result::continue_chain)) == 0);
  CHECK(p.on(ECP_HOOK_MESSAGE_ACKED, 1, nullptr) == 0);
  CHECK(fake.hooks().empty());
}

TEST_CASE("a second load is refused until the first is unloaded") {
  fake_host fake;
  load_scratch(fake);
  CHECK(fake.load<emqx_cpp::sdk::test::scratch_plugin>() == ECP_ERR_WRONG_STATE);
  fake.unload();
  CHECK(fake.load<emqx_cpp::sdk::test::scratch_plugin>() == ECP_OK);
}
