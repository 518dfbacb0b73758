// SPDX-License-Identifier: Apache-2.0
//
// Trees of supervisors: shutdown order and shutdown policies, escalation to the parent,
// and the JSON view of the whole tree.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/manual_executor.hpp"
#include "runtime/supervisor.hpp"
#include "test_worker.hpp"

using namespace emqx_cpp::runtime;
using namespace emqx_cpp::runtime::testing;

TEST_CASE("shutdown stops children in reverse start order, then reports shutdown") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one),
                                {worker("a", j), worker("b", j), worker("c", j)});
  std::optional<exit_reason> ended;
  sup->set_exit_callback([&](const exit_reason& r) { ended = r; });
  REQUIRE(sup->start().ok());
  j.events.clear();
  sup->shutdown();
  ex.run_ready();
  CHECK(j.joined() == "stop c,stop b,stop a");
  REQUIRE(ended);
  CHECK(ended->what == exit_reason::kind::shutdown);
  CHECK(sup->state().status == "stopped");
}

TEST_CASE("shutdown policies: brutal_kill, timeout then kill, infinity") {
  manual_executor ex;
  journal j;
  auto brutal = worker("brutal", j);
  brutal.shutdown = shutdown_policy::brutal_kill();
  auto slow = worker("slow", j);
  slow.shutdown = shutdown_policy::after(seconds(2));
  auto patient = worker("patient", j);
  patient.shutdown = shutdown_policy::infinity();
  j.hang_shutdown["slow"] = true;
  j.hang_shutdown["patient"] = true;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one), {patient, slow, brutal});
  bool ended = false;
  sup->set_exit_callback([&](const exit_reason&) { ended = true; });
  REQUIRE(sup->start().ok());
  j.events.clear();
  sup->shutdown();
  ex.run_ready();
  CHECK(j.joined() == "kill brutal,stop slow");
  ex.advance(milliseconds(1999));
  CHECK(j.joined() == "kill brutal,stop slow");
  ex.advance(milliseconds(1));
  CHECK(j.joined() == "kill brutal,stop slow,kill slow,stop patient");
  ex.advance(seconds(3600));
  CHECK_FALSE(ended);  // infinity waits for the child however long it takes
  j.live["patient"]->finish();
  ex.run_ready();
  CHECK(ended);
}

TEST_CASE("a nested supervisor that exceeds its intensity is restarted by its parent") {
  manual_executor ex;
  journal j;
  metrics_registry m;
  auto inner = supervisor::as_child(
      "inner", ex, flags(strategy::one_for_one, 1, seconds(10)),
      [&] { return std::vector<child_spec>{worker("w", j)}; }, &m);
  auto sup =
      supervisor::create("root", ex, flags(strategy::one_for_one), {worker("first", j), inner}, &m);
  REQUIRE(sup->start().ok());
  j.live["w"]->crash("1");
  ex.advance(seconds(1));
  CHECK(j.starts["w"] == 2);
  j.live["w"]->crash("2");  // second restart within 10 s: the inner supervisor gives up
  ex.advance(seconds(1));
  CHECK(m.value_of("emqx_cpp_process_restarts_total", {{"child", "inner"}}) == 1);
  CHECK(j.starts["w"] == 3);  // the new inner supervisor started a fresh w
  CHECK(j.starts["first"] == 1);
  auto st = sup->state();
  REQUIRE(st.children.size() == 2);
  CHECK(st.children[1].last_error.find("reached_max_restart_intensity") != std::string::npos);
}

TEST_CASE("the tree state reads as JSON with every child, status, restarts and last error") {
  manual_executor ex;
  journal j;
  auto inner = supervisor::as_child("workers", ex, flags(strategy::rest_for_one),
                                    [&] { return std::vector<child_spec>{worker("w1", j)}; });
  auto sup =
      supervisor::create("root", ex, flags(strategy::one_for_one), {worker("cfg", j), inner});
  REQUIRE(sup->start().ok());
  j.live["cfg"]->crash("bad config");
  ex.run_ready();
  auto json = nlohmann::json::parse(to_json(sup->state()));
  CHECK(json["id"] == "root");
  CHECK(json["type"] == "supervisor");
  CHECK(json["strategy"] == "one_for_one");
  CHECK(json["restarts"] == 1);
  CHECK(json["children"][0]["id"] == "cfg");
  CHECK(json["children"][0]["status"] == "restarting");
  CHECK(json["children"][0]["last_error"] == "bad config");
  CHECK(json["children"][1]["type"] == "supervisor");
  CHECK(json["children"][1]["strategy"] == "rest_for_one");
  CHECK(json["children"][1]["children"][0]["id"] == "w1");
  CHECK(json["children"][1]["children"][0]["status"] == "running");
}

TEST_CASE("kill stops every child at once and reports nothing") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one),
                                {worker("a", j), worker("b", j)});
  bool reported = false;
  sup->set_exit_callback([&](const exit_reason&) { reported = true; });
  REQUIRE(sup->start().ok());
  j.events.clear();
  sup->kill();
  ex.run_ready();
  CHECK(j.joined() == "kill b,kill a");
  CHECK_FALSE(reported);
}

TEST_CASE("exit reasons read as OTP's words") {
  CHECK(exit_reason::normal().to_string() == "normal");
  CHECK(exit_reason::shutdown().to_string() == "shutdown");
  CHECK(exit_reason::killed().to_string() == "killed");
  CHECK(exit_reason::error("").to_string() == "error");
  CHECK(exit_reason::killed().is_orderly() == false);
  CHECK(std::string(to_string(strategy::simple_one_for_one)) == "simple_one_for_one");
}
