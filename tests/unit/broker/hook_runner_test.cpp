// SPDX-License-Identifier: Apache-2.0
//
// run_chain's fold rules over chains from hook_registry: priority order (registration
// order for ties), CONTINUE goes on, STOP ends with its reply, ASYNC only where an
// access hook may wait (elsewhere a crash), CRASHED and a thrown exception tell the
// owner and go on, an unloading owner is skipped, a chain resumes from a start index,
// the async token is bound to the owner of each callback, and take_auth_data copies
// the bytes a hook handed back.
#include "plugin/hook_runner.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "plugin/async_calls.hpp"
#include "plugin/hook_registry.hpp"

namespace emqx_cpp::plugin {
namespace {

class test_owner final : public hook_owner {
 public:
  explicit test_owner(std::string name) : name_(std::move(name)) {}
  const char* owner_name() const override { return name_.c_str(); }
  bool accepting() const override { return open; }
  void hook_failed(ecp_hook_point hook, const char* why) override {
    failures.push_back(hook);
    last_why = why;
  }

  bool open = true;
  std::vector<ecp_hook_point> failures;
  std::string last_why;

 private:
  std::string name_;
};

using names = std::vector<std::string>;
using hook_list = std::vector<ecp_hook_point>;

// What one registered callback does when called.
struct probe {
  std::string name;
  names* log = nullptr;
  ecp_hook_result result = ECP_HOOK_CONTINUE;
  ecp_status code = ECP_OK;
  std::uint8_t is_superuser = 0;
  bool throws = false;
  std::string auth_data;  // handed back in reply.auth_data when not empty
  std::uint64_t id = 0;   // from hook_registry::add
};

ecp_hook_result probe_hook(void* user_data, const ecp_event*, ecp_hook_reply* reply) {
  auto* p = static_cast<probe*>(user_data);
  p->log->push_back(p->name);
  if (p->throws) throw std::runtime_error("thrown from a hook callback");
  reply->code = p->code;
  reply->is_superuser = p->is_superuser;
  if (!p->auth_data.empty()) {
    reply->auth_data = p->auth_data.data();
    reply->auth_data_len = p->auth_data.size();
  }
  return p->result;
}

struct fixture {
  hook_registry registry;
  names log;
  std::deque<probe> probes;  // stable addresses for user_data
  std::shared_ptr<const hook_chain> chain;

  probe& add(ecp_hook_point hook, std::int32_t priority, std::string name, ecp_hook_result result,
             std::shared_ptr<hook_owner> owner = nullptr) {
    probe& p = probes.emplace_back();
    p.name = std::move(name);
    p.log = &log;
    p.result = result;
    p.id = registry.add(hook, priority, probe_hook, &p, std::move(owner));
    REQUIRE(p.id > 0);
    return p;
  }

  chain_result run(ecp_hook_point hook, std::size_t start = 0, async_calls* calls = nullptr,
                   std::uint64_t token = 0) {
    ecp_event ev{};
    ev.size = sizeof(ecp_event);
    ev.hook = hook;
    ev.token = token;
    chain = registry.chain(hook);
    return run_chain(*chain, start, ev, calls);
  }
};

constexpr ecp_hook_reply empty_reply{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};

TEST_CASE("hook chain: higher priority first, registration order for ties") {
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_CONNECT;
  f.add(hook, 500, "a", ECP_HOOK_CONTINUE);
  f.add(hook, 1000, "b", ECP_HOOK_CONTINUE);
  f.add(hook, 500, "c", ECP_HOOK_CONTINUE);
  f.add(hook, 0, "d", ECP_HOOK_CONTINUE);
  const probe& e = f.add(hook, 1000, "e", ECP_HOOK_CONTINUE);
  const chain_result res = f.run(hook);
  CHECK(f.log == names{"b", "e", "a", "c", "d"});
  CHECK(res.result == ECP_HOOK_CONTINUE);
  CHECK(res.next == 5);
  CHECK(res.entry == nullptr);

  // Other hook points have chains of their own.
  CHECK(f.registry.empty(ECP_HOOK_CLIENT_CONNECTED));
  CHECK(f.registry.size() == 5);

  CHECK(f.registry.remove(e.id));
  f.log.clear();
  f.run(hook);
  CHECK(f.log == names{"b", "a", "c", "d"});

  // Nothing is registered for a bad hook point or without a callback.
  CHECK(f.registry.add(static_cast<ecp_hook_point>(0), 0, probe_hook, nullptr, nullptr) == 0);
  CHECK(f.registry.add(static_cast<ecp_hook_point>(ECP_HOOK_POINT_COUNT + 1), 0, probe_hook,
                       nullptr, nullptr) == 0);
  CHECK(f.registry.add(hook, 0, nullptr, nullptr, nullptr) == 0);
  CHECK(f.registry.size() == 4);
}

TEST_CASE("hook chain: STOP ends the chain with its reply") {
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_AUTHENTICATE;
  f.add(hook, 500, "a", ECP_HOOK_CONTINUE).code = 0x87;  // ignored: it did not decide
  probe& b = f.add(hook, 400, "b", ECP_HOOK_STOP);
  b.code = 0x86;
  b.is_superuser = 1;
  f.add(hook, 300, "c", ECP_HOOK_STOP);
  const chain_result res = f.run(hook);
  CHECK(f.log == names{"a", "b"});
  CHECK(res.result == ECP_HOOK_STOP);
  CHECK(res.reply.code == 0x86);
  CHECK(res.reply.is_superuser == 1);
  CHECK(res.next == 2);
  REQUIRE(res.entry != nullptr);
  CHECK(res.entry == &(*f.chain)[1]);
  CHECK(res.entry->user_data == &b);
}

TEST_CASE("hook chain: ASYNC waits only in the access hooks; elsewhere it is a crash") {
  for (const auto hook :
       {ECP_HOOK_CLIENT_AUTHENTICATE, ECP_HOOK_CLIENT_AUTHORIZE, ECP_HOOK_CLIENT_AUTH_EXCHANGE}) {
    CAPTURE(hook);
    fixture f;
    auto owner = std::make_shared<test_owner>("p");
    f.add(hook, 500, "a", ECP_HOOK_ASYNC, owner);
    f.add(hook, 400, "b", ECP_HOOK_CONTINUE, owner);
    const chain_result res = f.run(hook);
    CHECK(res.result == ECP_HOOK_ASYNC);
    CHECK(res.next == 1);
    CHECK(res.entry == &(*f.chain)[0]);
    CHECK(f.log == names{"a"});
    CHECK(owner->failures.empty());
  }
  for (const auto hook :
       {ECP_HOOK_CLIENT_CONNECT, ECP_HOOK_MESSAGE_PUBLISH, ECP_HOOK_CLIENT_SUBSCRIBE}) {
    CAPTURE(hook);
    fixture f;
    auto owner = std::make_shared<test_owner>("p");
    f.add(hook, 500, "a", ECP_HOOK_ASYNC, owner);
    f.add(hook, 400, "b", ECP_HOOK_CONTINUE, owner);
    const chain_result res = f.run(hook);
    CHECK(res.result == ECP_HOOK_CONTINUE);
    CHECK(res.next == 2);
    CHECK(res.entry == nullptr);
    CHECK(f.log == names{"a", "b"});
    CHECK(owner->failures == hook_list{hook});
  }
}

TEST_CASE("hook chain: CRASHED tells the owner and the chain goes on") {
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_AUTHORIZE;
  auto crashing = std::make_shared<test_owner>("crashing");
  auto deciding = std::make_shared<test_owner>("deciding");
  f.add(hook, 500, "a", ECP_HOOK_CRASHED, crashing);
  f.add(hook, 450, "ownerless", ECP_HOOK_CRASHED);  // nobody to tell; still goes on
  f.add(hook, 400, "b", ECP_HOOK_STOP, deciding).code = 0x87;
  const chain_result res = f.run(hook);
  CHECK(f.log == names{"a", "ownerless", "b"});
  CHECK(res.result == ECP_HOOK_STOP);
  CHECK(res.reply.code == 0x87);
  CHECK(crashing->failures == hook_list{hook});
  CHECK_FALSE(crashing->last_why.empty());
  CHECK(deciding->failures.empty());
}

TEST_CASE("hook chain: an exception from a callback counts as a crash") {
  fixture f;
  constexpr auto hook = ECP_HOOK_MESSAGE_PUBLISH;
  auto thrower = std::make_shared<test_owner>("thrower");
  auto other = std::make_shared<test_owner>("other");
  f.add(hook, 500, "a", ECP_HOOK_STOP, thrower).throws = true;  // its STOP never happens
  f.add(hook, 400, "b", ECP_HOOK_CONTINUE, other);
  chain_result res;
  CHECK_NOTHROW(res = f.run(hook));
  CHECK(f.log == names{"a", "b"});
  CHECK(res.result == ECP_HOOK_CONTINUE);
  CHECK(thrower->failures == hook_list{hook});
  CHECK(other->failures.empty());
}

TEST_CASE("hook chain: the callbacks of an owner that is unloading are skipped") {
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_AUTHENTICATE;
  auto leaving = std::make_shared<test_owner>("leaving");
  auto staying = std::make_shared<test_owner>("staying");
  f.add(hook, 500, "a", ECP_HOOK_STOP, leaving);
  f.add(hook, 450, "ownerless", ECP_HOOK_CONTINUE);
  f.add(hook, 400, "b", ECP_HOOK_CONTINUE, staying);
  leaving->open = false;
  chain_result res = f.run(hook);
  CHECK(f.log == names{"ownerless", "b"});
  CHECK(res.result == ECP_HOOK_CONTINUE);
  CHECK(leaving->failures.empty());

  leaving->open = true;
  f.log.clear();
  res = f.run(hook);
  CHECK(f.log == names{"a"});
  CHECK(res.result == ECP_HOOK_STOP);
}

TEST_CASE("hook chain: a chain resumes from a start index") {
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_AUTHENTICATE;
  f.add(hook, 500, "a", ECP_HOOK_ASYNC);
  f.add(hook, 400, "b", ECP_HOOK_CONTINUE);
  f.add(hook, 300, "c", ECP_HOOK_STOP);
  chain_result res = f.run(hook);
  CHECK(res.result == ECP_HOOK_ASYNC);
  REQUIRE(res.next == 1);
  res = f.run(hook, res.next);
  CHECK(f.log == names{"a", "b", "c"});
  CHECK(res.result == ECP_HOOK_STOP);
  CHECK(res.next == 3);
  CHECK(res.entry == &(*f.chain)[2]);
  res = f.run(hook, 3);
  CHECK(f.log == names{"a", "b", "c"});
  CHECK(res.result == ECP_HOOK_CONTINUE);
  CHECK(res.next == 3);
  CHECK(res.entry == nullptr);
}

TEST_CASE("hook chain: the token is bound to the owner of each callback it reaches") {
  constexpr auto hook = ECP_HOOK_CLIENT_AUTHENTICATE;
  auto first = std::make_shared<test_owner>("first");
  auto second = std::make_shared<test_owner>("second");
  int resumed = 0;
  auto count = [&](std::uint64_t, ecp_hook_result, const ecp_hook_reply&) { ++resumed; };

  SUBCASE("the owner whose callback went async answers, no other") {
    fixture f;
    async_calls calls;
    const std::uint64_t token = calls.arm(count);
    f.add(hook, 500, "a", ECP_HOOK_CONTINUE, first);
    f.add(hook, 400, "b", ECP_HOOK_ASYNC, second);
    CHECK(f.run(hook, 0, &calls, token).result == ECP_HOOK_ASYNC);
    CHECK(calls.complete(first.get(), token, ECP_HOOK_STOP, empty_reply) ==
          ECP_ERR_INVALID_ARGUMENT);
    CHECK(resumed == 0);
    CHECK(calls.complete(second.get(), token, ECP_HOOK_STOP, empty_reply) == ECP_OK);
    CHECK(resumed == 1);
  }
  SUBCASE("a skipped owner never holds the token") {
    fixture f;
    async_calls calls;
    const std::uint64_t token = calls.arm(count);
    f.add(hook, 500, "a", ECP_HOOK_CONTINUE, first);
    f.add(hook, 400, "b", ECP_HOOK_ASYNC, second);
    second->open = false;
    CHECK(f.run(hook, 0, &calls, token).result == ECP_HOOK_CONTINUE);
    CHECK(calls.complete(second.get(), token, ECP_HOOK_STOP, empty_reply) ==
          ECP_ERR_INVALID_ARGUMENT);
    CHECK(calls.complete(first.get(), token, ECP_HOOK_STOP, empty_reply) == ECP_OK);
    CHECK(resumed == 1);
  }
  SUBCASE("without async_calls nothing is bound") {
    fixture f;
    async_calls calls;
    const std::uint64_t token = calls.arm(count);
    f.add(hook, 400, "b", ECP_HOOK_ASYNC, second);
    CHECK(f.run(hook, 0, nullptr, token).result == ECP_HOOK_ASYNC);
    CHECK(calls.complete(second.get(), token, ECP_HOOK_STOP, empty_reply) ==
          ECP_ERR_INVALID_ARGUMENT);
    CHECK(calls.complete(nullptr, token, ECP_HOOK_STOP, empty_reply) == ECP_OK);
    CHECK(resumed == 1);
  }
}

TEST_CASE("hook chain: take_auth_data copies the bytes and clears the reply") {
  const std::string bytes("ab\0cd", 5);
  ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0, bytes.data(), bytes.size()};
  std::string out;
  take_auth_data(reply, out);
  CHECK(out == bytes);
  CHECK(out.size() == 5);
  CHECK(reply.auth_data == nullptr);
  CHECK(reply.auth_data_len == 0);

  ecp_hook_reply none{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};
  std::string nothing;
  take_auth_data(none, nothing);
  CHECK(nothing.empty());
  CHECK(none.auth_data == nullptr);

  // Through a chain: the result owns a copy, the plugin's buffer may change after.
  fixture f;
  constexpr auto hook = ECP_HOOK_CLIENT_AUTH_EXCHANGE;
  probe& p = f.add(hook, 500, "a", ECP_HOOK_STOP);
  p.auth_data = "server-final";
  const chain_result res = f.run(hook);
  p.auth_data = "overwritten!";
  CHECK(res.auth_data == "server-final");
  CHECK(res.reply.auth_data == nullptr);
  CHECK(res.reply.auth_data_len == 0);
}

}  // namespace
}  // namespace emqx_cpp::plugin
