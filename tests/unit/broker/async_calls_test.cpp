// SPDX-License-Identifier: Apache-2.0
//
// async_calls, the tokens of hooks that answer later: an answer resumes its waiter
// exactly once, a cancelled or answered token refuses further answers, only the owner
// a token is bound to may answer it, an unloading owner's tokens are resumed with
// CONTINUE, and an answer from another thread that comes before the arming thread has
// done anything else is still honoured once.
#include "plugin/async_calls.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugin/hook_registry.hpp"

namespace emqx_cpp::plugin {
namespace {

class test_owner final : public hook_owner {
 public:
  const char* owner_name() const override { return "test"; }
  bool accepting() const override { return true; }
  void hook_failed(ecp_hook_point, const char*) override {}
};

struct resumed_call {
  std::uint64_t token = 0;
  ecp_hook_result result = ECP_HOOK_CONTINUE;
  ecp_status code = ECP_OK;
};

// Records every resume, from any thread.
struct recorder {
  std::mutex mutex;
  std::vector<resumed_call> calls;

  async_calls::resume_fn fn() {
    return [this](std::uint64_t token, ecp_hook_result result, const ecp_hook_reply& reply) {
      std::lock_guard lock(mutex);
      resumed_call c;
      c.token = token;
      c.result = result;
      c.code = reply.code;
      calls.push_back(c);
    };
  }
  std::vector<std::uint64_t> tokens() {
    std::lock_guard lock(mutex);
    std::vector<std::uint64_t> out;
    for (const auto& c : calls)
      out.push_back(c.token);
    std::sort(out.begin(), out.end());
    return out;
  }
};

ecp_hook_reply reply_with(ecp_status code) {
  ecp_hook_reply r{};
  r.size = sizeof(ecp_hook_reply);
  r.code = code;
  return r;
}

TEST_CASE("async_calls: an answer resumes the waiter once, with its token") {
  async_calls calls;
  recorder rec;
  const std::uint64_t token = calls.arm(rec.fn());
  const std::uint64_t other = calls.arm(rec.fn());
  CHECK(token != 0);
  CHECK(other != token);
  CHECK(calls.pending() == 2);

  CHECK(calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(0x86)) == ECP_OK);
  REQUIRE(rec.calls.size() == 1);
  CHECK(rec.calls[0].token == token);
  CHECK(rec.calls[0].result == ECP_HOOK_STOP);
  CHECK(rec.calls[0].code == 0x86);
  CHECK(calls.pending() == 1);

  CHECK(calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_TIMEOUT);
  CHECK(rec.calls.size() == 1);
  CHECK(calls.complete(nullptr, 123456, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_TIMEOUT);
  CHECK(calls.pending() == 1);
}

TEST_CASE("async_calls: a cancelled token takes no answer") {
  async_calls calls;
  recorder rec;
  const std::uint64_t token = calls.arm(rec.fn());
  CHECK(calls.cancel(token));
  CHECK_FALSE(calls.cancel(token));
  CHECK(calls.pending() == 0);
  CHECK(calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_TIMEOUT);
  CHECK(rec.calls.empty());

  // Nor does cancelling an answered token do anything.
  const std::uint64_t answered = calls.arm(rec.fn());
  CHECK(calls.complete(nullptr, answered, ECP_HOOK_CONTINUE, reply_with(ECP_OK)) == ECP_OK);
  CHECK_FALSE(calls.cancel(answered));
  CHECK(rec.calls.size() == 1);
}

TEST_CASE("async_calls: only the owner a token is bound to may answer it") {
  async_calls calls;
  recorder rec;
  test_owner a;
  test_owner b;
  const std::uint64_t token = calls.arm(rec.fn());
  calls.bind(token, &a);
  CHECK(calls.complete(&b, token, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_INVALID_ARGUMENT);
  CHECK(calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(ECP_OK)) ==
        ECP_ERR_INVALID_ARGUMENT);
  CHECK(rec.calls.empty());
  CHECK(calls.pending() == 1);  // still armed
  CHECK(calls.complete(&a, token, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_OK);
  CHECK(rec.calls.size() == 1);

  // The last binding wins: the chain binds again before each callback.
  const std::uint64_t rebound = calls.arm(rec.fn());
  calls.bind(rebound, &a);
  calls.bind(rebound, &b);
  CHECK(calls.complete(&a, rebound, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_INVALID_ARGUMENT);
  CHECK(calls.complete(&b, rebound, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_OK);
  CHECK(rec.calls.size() == 2);

  // Binding a token that is not armed changes nothing.
  calls.bind(rebound, &a);
  CHECK(calls.pending() == 0);
}

TEST_CASE("async_calls: abandon resumes the owner's tokens with CONTINUE, and only those") {
  async_calls calls;
  recorder rec;
  test_owner a;
  test_owner b;
  const std::uint64_t a1 = calls.arm(rec.fn());
  const std::uint64_t b1 = calls.arm(rec.fn());
  const std::uint64_t a2 = calls.arm(rec.fn());
  const std::uint64_t unbound = calls.arm(rec.fn());
  calls.bind(a1, &a);
  calls.bind(b1, &b);
  calls.bind(a2, &a);
  CHECK(calls.pending() == 4);

  CHECK(calls.abandon(&a) == 2);
  std::vector<std::uint64_t> expected{a1, a2};
  std::sort(expected.begin(), expected.end());
  CHECK(rec.tokens() == expected);
  for (const auto& c : rec.calls) {
    CHECK(c.result == ECP_HOOK_CONTINUE);
    CHECK(c.code == ECP_OK);
  }
  CHECK(calls.pending() == 2);
  CHECK(calls.complete(&a, a1, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_TIMEOUT);
  CHECK(calls.abandon(&a) == 0);

  CHECK(calls.complete(&b, b1, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_OK);
  CHECK(calls.complete(nullptr, unbound, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_OK);
  CHECK(calls.pending() == 0);
  CHECK(rec.calls.size() == 4);
}

TEST_CASE("async_calls: an answer from another thread before the arming thread goes on") {
  // The bad order forced: the token is answered on another thread right after arm(),
  // before the arming thread has bound it or run the chain.
  for (int round = 0; round < 50; ++round) {
    async_calls calls;
    std::atomic<int> resumed{0};
    // Written by the resume function on the answering thread, read after join().
    std::uint64_t resumed_token = 0;
    ecp_hook_result resumed_result = ECP_HOOK_CONTINUE;
    std::thread::id resumed_on;
    const std::uint64_t token =
        calls.arm([&](std::uint64_t t, ecp_hook_result result, const ecp_hook_reply&) {
          resumed_token = t;
          resumed_result = result;
          resumed_on = std::this_thread::get_id();
          resumed.fetch_add(1);
        });
    ecp_status status = ECP_ERR_CRASHED;
    std::thread answerer(
        [&] { status = calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(ECP_OK)); });
    const std::thread::id answerer_id = answerer.get_id();
    answerer.join();
    CHECK(status == ECP_OK);
    CHECK(resumed.load() == 1);
    CHECK(resumed_token == token);
    CHECK(resumed_result == ECP_HOOK_STOP);
    CHECK(resumed_on == answerer_id);

    // What the arming thread does next finds the token answered, and resumes nothing.
    test_owner late;
    calls.bind(token, &late);
    CHECK(calls.complete(&late, token, ECP_HOOK_STOP, reply_with(ECP_OK)) == ECP_ERR_TIMEOUT);
    CHECK_FALSE(calls.cancel(token));
    CHECK(calls.pending() == 0);
    CHECK(resumed.load() == 1);
  }
}

TEST_CASE("async_calls: an answer racing a cancel resumes at most once") {
  for (int round = 0; round < 200; ++round) {
    async_calls calls;
    std::atomic<int> resumed{0};
    const std::uint64_t token = calls.arm(
        [&](std::uint64_t, ecp_hook_result, const ecp_hook_reply&) { resumed.fetch_add(1); });
    ecp_status status = ECP_ERR_CRASHED;
    std::thread answerer(
        [&] { status = calls.complete(nullptr, token, ECP_HOOK_STOP, reply_with(ECP_OK)); });
    const bool cancelled = calls.cancel(token);
    answerer.join();
    // Exactly one of them took the token.
    CHECK(cancelled == (status == ECP_ERR_TIMEOUT));
    CHECK((status == ECP_OK || status == ECP_ERR_TIMEOUT));
    CHECK(resumed.load() == (status == ECP_OK ? 1 : 0));
    CHECK(calls.pending() == 0);
  }
}

}  // namespace
}  // namespace emqx_cpp::plugin
