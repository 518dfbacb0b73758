// SPDX-License-Identifier: Apache-2.0
//
// Restart types, restart intensity and escalation, backoff growth and reset, health
// probes, and start failures.
#include <doctest/doctest.h>

#include "runtime/manual_executor.hpp"
#include "runtime/supervisor.hpp"
#include "test_worker.hpp"

using namespace emqx_cpp::runtime;
using namespace emqx_cpp::runtime::testing;

TEST_CASE("permanent children are restarted after any exit, even a normal one") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one), {worker("p", j)});
  REQUIRE(sup->start().ok());
  j.live["p"]->finish();
  ex.advance(seconds(1));
  CHECK(j.starts["p"] == 2);
}

TEST_CASE("transient children are restarted only after an abnormal exit") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one),
                                {worker("t", j, restart_type::transient)});
  REQUIRE(sup->start().ok());
  j.live["t"]->crash("boom");
  ex.advance(seconds(1));
  CHECK(j.starts["t"] == 2);
  j.live["t"]->finish();
  ex.advance(seconds(1));
  CHECK(j.starts["t"] == 2);
  auto st = sup->state();
  REQUIRE(st.children.size() == 1);
  CHECK(st.children[0].status == "stopped");
  REQUIRE(sup->restart_child("t").ok());
  CHECK(j.starts["t"] == 3);
}

TEST_CASE("temporary children are never restarted and are forgotten when they end") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_all),
                                {worker("a", j), worker("tmp", j, restart_type::temporary)});
  REQUIRE(sup->start().ok());
  j.live["tmp"]->crash("boom");
  ex.advance(seconds(1));
  CHECK(j.starts["tmp"] == 1);
  CHECK(j.starts["a"] == 1);  // a temporary child's end restarts nobody
  CHECK(sup->child_count() == 1);
}

TEST_CASE("a temporary sibling is stopped, not restarted, by one_for_all") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_all),
                                {worker("a", j), worker("tmp", j, restart_type::temporary)});
  REQUIRE(sup->start().ok());
  j.events.clear();
  j.live["a"]->crash("boom");
  ex.advance(seconds(1));
  CHECK(j.joined() == "stop tmp,start a");
  CHECK(sup->child_count() == 1);
}

TEST_CASE("more restarts than the intensity within the period escalates") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one, 2, seconds(10)),
                                {worker("a", j), worker("b", j)});
  std::optional<exit_reason> escalated;
  sup->set_exit_callback([&](const exit_reason& r) { escalated = r; });
  REQUIRE(sup->start().ok());
  j.live["a"]->crash("1");
  ex.advance(seconds(1));
  j.live["a"]->crash("2");
  ex.advance(seconds(1));
  CHECK_FALSE(escalated);
  j.events.clear();
  j.live["a"]->crash("3");
  ex.run_ready();
  REQUIRE(escalated);
  CHECK(escalated->what == exit_reason::kind::error);
  CHECK(escalated->detail.find("reached_max_restart_intensity") != std::string::npos);
  CHECK(j.joined() == "stop b");  // the rest is shut down before escalating
  CHECK(sup->state().status == "failed");
}

TEST_CASE("restarts older than the period do not count toward the intensity") {
  manual_executor ex;
  journal j;
  auto sup =
      supervisor::create("root", ex, flags(strategy::one_for_one, 1, seconds(5)), {worker("a", j)});
  bool escalated = false;
  sup->set_exit_callback([&](const exit_reason&) { escalated = true; });
  REQUIRE(sup->start().ok());
  for (int i = 0; i < 5; ++i) {
    j.live["a"]->crash("again");
    ex.advance(seconds(6));
  }
  CHECK_FALSE(escalated);
  CHECK(j.starts["a"] == 6);
}

TEST_CASE("backoff grows by the factor, is capped at max, and resets after a stable period") {
  manual_executor ex;
  journal j;
  auto f = flags(strategy::one_for_one, 100, seconds(60));
  f.backoff.max = milliseconds(500);
  auto sup = supervisor::create("root", ex, f, {worker("a", j)});
  REQUIRE(sup->start().ok());
  auto restart_delay = [&] {
    j.live["a"]->crash("x");
    ex.run_ready();
    const int before = j.starts["a"];
    int waited = 0;
    while (j.starts["a"] == before) {
      ex.advance(milliseconds(1));
      ++waited;
    }
    return waited;
  };
  CHECK(restart_delay() == 100);
  CHECK(restart_delay() == 200);
  CHECK(restart_delay() == 400);
  CHECK(restart_delay() == 500);  // capped
  CHECK(restart_delay() == 500);
  ex.advance(seconds(61));  // stayed up a whole period
  CHECK(restart_delay() == 100);
}

TEST_CASE("health probe failures restart the child after the threshold") {
  manual_executor ex;
  journal j;
  auto spec = worker("h", j);
  spec.health = {seconds(1), 3};
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one), {spec});
  REQUIRE(sup->start().ok());
  auto first = j.live["h"];
  first->healthy = false;
  ex.advance(seconds(2));
  first->healthy = true;  // one good probe resets the count
  ex.advance(seconds(1));
  first->healthy = false;
  ex.advance(seconds(2));
  CHECK(j.starts["h"] == 1);
  ex.advance(seconds(1));  // third consecutive failure
  CHECK(j.events.back() == "stop h");
  ex.advance(seconds(1));
  CHECK(j.starts["h"] == 2);
  auto st = sup->state();
  CHECK(st.children[0].last_error == "health check failed 3 times in a row");
  CHECK(st.children[0].restarts == 1);
}

TEST_CASE("a failing start stops the children already started, in reverse") {
  manual_executor ex;
  journal j;
  j.fail_start["c"] = true;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one),
                                {worker("a", j), worker("b", j), worker("c", j)});
  auto r = sup->start();
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().message.find("child c") != std::string::npos);
  ex.run_ready();
  CHECK(j.joined() == "start a,start b,start_failed c,stop b,stop a");
}

TEST_CASE("a failing restart is retried with backoff and counts toward the intensity") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one, 3, seconds(60)),
                                {worker("a", j)});
  bool escalated = false;
  sup->set_exit_callback([&](const exit_reason&) { escalated = true; });
  REQUIRE(sup->start().ok());
  j.fail_start["a"] = true;
  j.live["a"]->crash("x");
  ex.advance(milliseconds(100));  // first retry fails
  CHECK_FALSE(escalated);
  ex.advance(milliseconds(200));  // second fails
  ex.advance(milliseconds(400));  // third fails: 4 restarts > 3
  CHECK(escalated);
}

TEST_CASE("terminate_child, restart_child and delete_child") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one), {worker("a", j)});
  REQUIRE(sup->start().ok());
  bool stopped = false;
  REQUIRE(sup->terminate_child("a", [&] { stopped = true; }).ok());
  ex.run_ready();
  CHECK(stopped);
  CHECK(sup->child("a") == nullptr);
  CHECK_FALSE(sup->terminate_child("nope").ok());
  REQUIRE(sup->restart_child("a").ok());
  CHECK_FALSE(sup->restart_child("a").ok());  // already running
  CHECK_FALSE(sup->delete_child("a").ok());   // running
  REQUIRE(sup->terminate_child("a").ok());
  ex.run_ready();
  REQUIRE(sup->delete_child("a").ok());
  CHECK(sup->child_count() == 0);
  auto added = sup->start_child(worker("z", j));
  REQUIRE(added.ok());
  CHECK_FALSE(sup->start_child(worker("z", j)).ok());
  CHECK_FALSE(sup->start_child(std::any{}).ok());
}
