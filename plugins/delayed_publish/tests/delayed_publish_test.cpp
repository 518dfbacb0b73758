// SPDX-License-Identifier: Apache-2.0
//
// delayed_publish on the SDK's fake host, with the plugin's wall clock tied to the fake's
// manual clock so no test sleeps: when held messages come out and in which order, N = 0
// and Unix timestamps, what is dropped and counted (malformed topics, the limit, an
// unload), the one re-armed timer, and hooks on several threads at once.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <emqx_cpp/testing/fake_host.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

extern "C" const ecp_plugin_descriptor* emqx_cpp_plugin_entry(const ecp_abi_version*, size_t);

namespace emqx_cpp::plugins::delayed_publish_clock {
extern std::atomic<std::int64_t (*)()> now_ms;
}  // namespace emqx_cpp::plugins::delayed_publish_clock

using emqx_cpp::sdk::testing::fake_client;
using emqx_cpp::sdk::testing::fake_host;
using emqx_cpp::sdk::testing::fake_message;
using namespace std::chrono_literals;

namespace {

// 2023-11-14T22:13:20Z, plus whatever the fake's manual clock has advanced.
constexpr std::int64_t epoch_ms = 1'700'000'000'000;
std::atomic<fake_host*> current{nullptr};

// A fake host whose manual clock is the plugin's wall clock.
struct clocked_host : fake_host {
  clocked_host() {
    current = this;
    emqx_cpp::plugins::delayed_publish_clock::now_ms =
        +[] { return epoch_ms + static_cast<std::int64_t>(current.load()->now_ms()); };
  }
  ~clocked_host() {
    unload();
    current = nullptr;
  }
  clocked_host(const clocked_host&) = delete;
  clocked_host& operator=(const clocked_host&) = delete;

  emqx_cpp::sdk::testing::fire_result publish(const std::string& topic,
                                              const std::string& payload = "p",
                                              std::uint8_t qos = 0, bool retain = false) {
    return fire(ECP_HOOK_MESSAGE_PUBLISH, {.client = fake_client{.client_id = "pub"},
                                           .message = fake_message{.topic = topic,
                                                                   .payload = payload,
                                                                   .qos = qos,
                                                                   .retain = retain,
                                                                   .publisher = "pub"}});
  }

  std::vector<std::string> topics() const {
    std::vector<std::string> out;
    for (const auto& m : published())
      out.push_back(m.topic);
    return out;
  }
};

}  // namespace

TEST_CASE("a message to $delayed/2/... is held for two seconds, then published as it was") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  REQUIRE(h.start() == ECP_OK);
  const auto hooks = h.hooks();
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].hook == ECP_HOOK_MESSAGE_PUBLISH);
  CHECK(hooks[0].priority == 860);
  CHECK(h.gauge("pending") == 0);

  const auto r = h.publish("$delayed/2/a/b", "payload", 1, true);
  CHECK(r.dropped());  // nobody sees the $delayed topic
  CHECK(h.published().empty());
  CHECK(h.gauge("pending") == 1);
  CHECK(h.counter("delayed_total") == 1);
  h.advance(1999ms);
  CHECK(h.published().empty());
  h.advance(1ms);
  const auto out = h.published();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "a/b");
  CHECK(out[0].payload == "payload");
  CHECK(out[0].qos == 1);
  CHECK(out[0].retain);
  CHECK(h.gauge("pending") == 0);
  CHECK(h.counter("published_total") == 1);
  CHECK(h.timers().empty());  // nothing left to wait for
}

TEST_CASE("N = 0 publishes at once, and other topics pass untouched") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  const auto r = h.publish("$delayed/0/now", "x", 2);
  CHECK(r.dropped());
  const auto out = h.published();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "now");
  CHECK(out[0].qos == 2);
  CHECK(h.counter("delayed_total") == 1);
  CHECK(h.counter("published_total") == 1);
  CHECK(h.timers().empty());

  for (const char* topic : {"plain/topic", "$delayed", "$delayedx/1/t", "x/$delayed/1/t"}) {
    CAPTURE(topic);
    const auto pass = h.publish(topic);
    CHECK(pass.result == ECP_HOOK_CONTINUE);
    CHECK(pass.message->topic == topic);
  }
  CHECK(h.published().size() == 1);
}

TEST_CASE("messages come out by due time, those due together in arrival order") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.publish("$delayed/5/five");
  h.publish("$delayed/3/three-a");
  h.publish("$delayed/3/three-b");
  h.publish("$delayed/1/one");
  CHECK(h.gauge("pending") == 4);
  h.advance(1s);
  CHECK(h.topics() == std::vector<std::string>{"one"});
  h.advance(2s);
  CHECK(h.topics() == std::vector<std::string>{"one", "three-a", "three-b"});
  h.advance(2s);
  CHECK(h.topics() == std::vector<std::string>{"one", "three-a", "three-b", "five"});
  CHECK(h.gauge("pending") == 0);
}

TEST_CASE("a message due before the armed time re-arms the one timer") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.publish("$delayed/30/late");
  REQUIRE(h.timers().size() == 1);
  h.publish("$delayed/2/early");
  REQUIRE(h.timers().size() == 1);  // replaced, not added
  CHECK(h.timers()[0].due_ms == 2000);
  h.publish("$delayed/10/middle");
  CHECK(h.timers().size() == 1);
  h.advance(2s);
  CHECK(h.topics() == std::vector<std::string>{"early"});
  h.advance(28s);
  CHECK(h.topics() == std::vector<std::string>{"early", "middle", "late"});
}

TEST_CASE("a long delay wakes up once a minute and publishes once, on time") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.publish("$delayed/3600/hour");
  REQUIRE(h.timers().size() == 1);
  CHECK(h.timers()[0].due_ms == 60'000);
  h.advance(3599s);
  CHECK(h.published().empty());
  h.advance(1s);
  CHECK(h.topics() == std::vector<std::string>{"hour"});
  h.advance(3600s);
  CHECK(h.published().size() == 1);
}

TEST_CASE("N above 42949670 is a Unix timestamp") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  const std::int64_t now_s = epoch_ms / 1000;
  h.publish("$delayed/" + std::to_string(now_s + 10) + "/at");
  h.publish("$delayed/" + std::to_string(now_s - 100) + "/past");  // due already
  CHECK(h.topics() == std::vector<std::string>{"past"});
  h.advance(9999ms);
  CHECK(h.topics() == std::vector<std::string>{"past"});
  h.advance(1ms);
  CHECK(h.topics() == std::vector<std::string>{"past", "at"});
  // 42949670 itself is still an interval (497 days), and held as one.
  h.publish("$delayed/42949670/far");
  CHECK(h.gauge("pending") == 1);
  CHECK(h.counter("dropped_total", "reason=too_far") == 0);
  // A timestamp more than 42949670 s ahead is refused, as EMQX refuses it.
  const auto r = h.publish("$delayed/" + std::to_string(now_s + 10 + 42949671) + "/too-far");
  CHECK(r.dropped());
  CHECK(h.counter("dropped_total", "reason=too_far") == 1);
}

TEST_CASE("malformed $delayed topics are dropped and counted by reason") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  struct bad_case {
    const char* topic;
    const char* reason;
  };
  const bad_case cases[] = {
      {"$delayed/abc/t", "reason=invalid_interval"},
      {"$delayed/-5/t", "reason=invalid_interval"},
      {"$delayed/+5/t", "reason=invalid_interval"},
      {"$delayed/1.5/t", "reason=invalid_interval"},
      {"$delayed//t", "reason=invalid_interval"},
      {"$delayed/", "reason=invalid_interval"},
      {"$delayed/99999999999999999999999/t", "reason=invalid_interval"},
      {"$delayed/5", "reason=invalid_topic"},
      {"$delayed/5/", "reason=invalid_topic"},
      {"$delayed/5/a/+", "reason=invalid_topic"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.topic);
    const auto before = h.counter("dropped_total", c.reason);
    const auto r = h.publish(c.topic);
    CHECK(r.dropped());
    CHECK(h.counter("dropped_total", c.reason) == before + 1);
  }
  CHECK(h.published().empty());
  CHECK(h.gauge("pending") == 0);
  CHECK(h.counter("delayed_total") == 0);
  CHECK(h.logged(ECP_LOG_DEBUG, "dropped \"$delayed/abc/t\": invalid_interval"));
}

TEST_CASE("max_delayed_messages: the one over the limit is dropped, with one warning") {
  clocked_host h;
  h.config["max_delayed_messages"] = std::int64_t{2};
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  CHECK(h.logged(ECP_LOG_INFO, "max_delayed_messages=2"));
  CHECK(h.publish("$delayed/5/a").dropped());
  h.publish("$delayed/5/b");
  CHECK(h.publish("$delayed/5/c").dropped());
  h.publish("$delayed/5/d");
  CHECK(h.counter("dropped_total", "reason=max_delayed_messages") == 2);
  CHECK(h.counter("delayed_total") == 2);
  std::size_t warnings = 0;
  for (const auto& l : h.logs())
    warnings += l.level == ECP_LOG_WARNING ? 1 : 0;
  CHECK(warnings == 1);
  // N = 0 is never held, so the limit does not apply to it.
  h.publish("$delayed/0/now");
  CHECK(h.topics() == std::vector<std::string>{"now"});
  h.advance(5s);
  CHECK(h.topics() == std::vector<std::string>{"now", "a", "b"});
  h.publish("$delayed/5/e");  // room again
  CHECK(h.gauge("pending") == 1);
}

TEST_CASE("unloading loses what waits, says so, and publishes nothing later") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  REQUIRE(h.start() == ECP_OK);
  h.publish("$delayed/5/a");
  h.publish("$delayed/6/b");
  REQUIRE(h.stop() == ECP_OK);
  CHECK(h.logged(ECP_LOG_WARNING, "2 delayed messages were still waiting and are lost"));
  CHECK(h.counter("dropped_total", "reason=unloaded") == 2);
  CHECK(h.gauge("pending") == 0);
  h.unload();
  h.advance(10s);
  CHECK(h.published().empty());
}

TEST_CASE("a publish the broker refuses when the delay is over is counted as dropped") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  h.publish("$delayed/1/t");
  h.api().size = static_cast<std::uint32_t>(offsetof(ecp_host_api, api_publish));
  h.advance(1s);
  h.api().size = sizeof(ecp_host_api);
  CHECK(h.published().empty());
  CHECK(h.counter("dropped_total", "reason=publish_failed") == 1);
  CHECK(h.logged(ECP_LOG_WARNING, "publishing the delayed message to \"t\" failed"));
}

TEST_CASE("hooks on several threads at once, while the timer runs") {
  clocked_host h;
  REQUIRE(h.load(&emqx_cpp_plugin_entry) == ECP_OK);
  std::atomic<int> running{4};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        h.publish("$delayed/" + std::to_string(1 + i % 3) + "/t" + std::to_string(t));
      --running;
    });
  }
  // The clock moves and the timer fires (on this thread) while the hooks queue messages.
  while (running.load() > 0)
    h.advance(10ms);
  for (auto& t : threads)
    t.join();
  h.advance(3s);
  CHECK(h.published().size() == 800);
  CHECK(h.counter("published_total") == 800);
  CHECK(h.gauge("pending") == 0);
}

TEST_CASE("init refuses a negative max_delayed_messages") {
  clocked_host h;
  h.config["max_delayed_messages"] = std::int64_t{-1};
  CHECK(h.load(&emqx_cpp_plugin_entry) == ECP_ERR_INVALID_ARGUMENT);
  CHECK(h.logged(ECP_LOG_ERROR, "plugins.delayed_publish.max_delayed_messages: must be 0 or more"));
}
