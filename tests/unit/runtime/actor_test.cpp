// SPDX-License-Identifier: Apache-2.0
//
// Actors: ordered handling, crashes reported as exits, bounded mailboxes, selective
// receive with timeout, and one wake-up per batch across threads.
#include "runtime/actor.hpp"

#include <doctest/doctest.h>

#include <future>
#include <string>
#include <vector>

#include "runtime/event_loop.hpp"
#include "runtime/manual_executor.hpp"
#include "runtime/supervisor.hpp"

using namespace emqx_cpp::runtime;

namespace {
class recorder final : public actor<std::string> {
 public:
  using actor::actor;
  std::vector<std::string> seen;
  bool stopped = false;

 protected:
  void handle(std::string& msg) override {
    if (msg == "boom") throw std::runtime_error("asked to crash");
    if (msg == "quit") {
      exit(exit_reason::normal());
      return;
    }
    if (msg == "wait") {
      receive([](const std::string& m) { return m.rfind("reply", 0) == 0; }, seconds(1),
              [this](const std::optional<std::string>& r) {
                seen.push_back("got:" + r.value_or("timeout"));
              });
    }
    seen.push_back(msg);
  }
  void on_stop() override { stopped = true; }
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}
}  // namespace

TEST_CASE("an actor handles its messages one at a time, in order") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  for (const char* m : {"1", "2", "3"})
    REQUIRE(a->send(m) == send_status::ok);
  CHECK(a->seen.empty());  // nothing runs until the executor does
  ex.run_ready();
  CHECK(joined(a->seen) == "1,2,3");
}

TEST_CASE("a full mailbox refuses the message and the depth gauge shows it") {
  manual_executor ex;
  metrics_registry m;
  auto a = std::make_shared<recorder>("small", ex, 2, &m);
  CHECK(a->send("1") == send_status::ok);
  CHECK(a->send("2") == send_status::ok);
  CHECK(a->send("3") == send_status::full);
  CHECK(m.value_of("emqx_cpp_mailbox_depth", {{"actor", "small"}}) == 2);
  ex.run_ready();
  CHECK(m.value_of("emqx_cpp_mailbox_depth", {{"actor", "small"}}) == 0);
  CHECK(joined(a->seen) == "1,2");
}

TEST_CASE("an exception in the handler is a crash reported as the actor's exit") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  std::optional<exit_reason> why;
  a->set_exit_callback([&](const exit_reason& r) { why = r; });
  REQUIRE(a->send("boom") == send_status::ok);
  REQUIRE(a->send("after") == send_status::ok);
  ex.run_ready();
  REQUIRE(why);
  CHECK(why->what == exit_reason::kind::error);
  CHECK(why->detail == "asked to crash");
  CHECK_FALSE(a->stopped);  // a crash skips the orderly cleanup
  CHECK(a->seen.empty());
  CHECK(a->send("late") == send_status::closed);
}

TEST_CASE("selective receive takes the first match and leaves the rest queued in order") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  for (const char* m : {"wait", "x1", "reply-1", "x2"})
    REQUIRE(a->send(m) == send_status::ok);
  ex.run_ready();
  CHECK(joined(a->seen) == "wait,got:reply-1,x1,x2");
  CHECK(ex.pending_timers() == 0);  // the timeout was cancelled
}

TEST_CASE("selective receive waits for a later match") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  REQUIRE(a->send("wait") == send_status::ok);
  REQUIRE(a->send("x1") == send_status::ok);
  ex.run_ready();
  CHECK(joined(a->seen) == "wait");
  REQUIRE(a->send("reply-late") == send_status::ok);
  ex.run_ready();
  CHECK(joined(a->seen) == "wait,got:reply-late,x1");
}

TEST_CASE("selective receive times out and then the queued messages are handled") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  REQUIRE(a->send("wait") == send_status::ok);
  REQUIRE(a->send("x1") == send_status::ok);
  ex.run_ready();
  ex.advance(milliseconds(999));
  CHECK(joined(a->seen) == "wait");
  ex.advance(milliseconds(1));
  CHECK(joined(a->seen) == "wait,got:timeout,x1");
}

TEST_CASE("shutdown runs on_stop and reports shutdown, exit() reports its reason") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  std::optional<exit_reason> why;
  a->set_exit_callback([&](const exit_reason& r) { why = r; });
  a->shutdown();
  ex.run_ready();
  REQUIRE(why);
  CHECK(why->what == exit_reason::kind::shutdown);
  CHECK(a->stopped);

  auto b = std::make_shared<recorder>("rec2", ex, 16);
  std::optional<exit_reason> why_b;
  b->set_exit_callback([&](const exit_reason& r) { why_b = r; });
  REQUIRE(b->send("quit") == send_status::ok);
  ex.run_ready();
  REQUIRE(why_b);
  CHECK(why_b->what == exit_reason::kind::normal);
  CHECK_FALSE(b->alive());
}

TEST_CASE("kill closes the mailbox at once") {
  manual_executor ex;
  auto a = std::make_shared<recorder>("rec", ex, 16);
  REQUIRE(a->send("1") == send_status::ok);
  a->kill();
  ex.run_ready();
  CHECK(a->seen.empty());
  CHECK(a->send("2") == send_status::closed);
}

TEST_CASE("a supervised actor that crashes is replaced by a fresh one") {
  manual_executor ex;
  std::shared_ptr<recorder> current;
  child_spec spec;
  spec.id = "rec";
  spec.start = [&](const std::any&) {
    current = std::make_shared<recorder>("rec", ex, 16);
    return current;
  };
  supervisor_flags f;
  f.backoff.jitter = 0;
  auto sup = supervisor::create("root", ex, f, {spec});
  REQUIRE(sup->start().ok());
  auto first = current;
  REQUIRE(first->send("boom") == send_status::ok);
  ex.advance(seconds(1));
  REQUIRE(current != first);
  REQUIRE(current->send("hello") == send_status::ok);
  ex.run_ready();
  CHECK(joined(current->seen) == "hello");
}

TEST_CASE("sends from another thread wake the actor's loop once per batch") {
  thread_executor worker("actor-test");
  auto a = std::make_shared<recorder>("rec", worker.loop(), 2000);
  std::promise<void> release;
  auto gate = release.get_future().share();
  worker.loop().post([gate] { gate.wait(); });  // hold the loop while we send
  for (int i = 0; i < 1000; ++i)
    REQUIRE(a->send(std::to_string(i)) == send_status::ok);
  const auto wakeups_before = worker.loop().wakeups();
  release.set_value();
  std::promise<void> done;
  auto finished = done.get_future();
  // Posted after the sends, so it runs after the first drain; poll until all are seen.
  std::function<void()> check = [&] {
    if (a->seen.size() == 1000) {
      done.set_value();
      return;
    }
    worker.loop().post(check);
  };
  worker.loop().post(check);
  finished.wait();
  CHECK(a->seen.front() == "0");
  CHECK(a->seen.back() == "999");
  // 1000 messages drained in batches of drain_budget: a handful of wake-ups, not 1000.
  CHECK(worker.loop().wakeups() - wakeups_before < 60);
}
