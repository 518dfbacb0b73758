// SPDX-License-Identifier: Apache-2.0
//
// The four OTP strategies: which siblings are restarted when one child crashes, and in
// which order they stop and start again.
#include <doctest/doctest.h>

#include "runtime/manual_executor.hpp"
#include "runtime/supervisor.hpp"
#include "test_worker.hpp"

using namespace emqx_cpp::runtime;
using namespace emqx_cpp::runtime::testing;

namespace {
std::shared_ptr<supervisor> three(manual_executor& ex, journal& j, strategy s,
                                  metrics_registry* m = nullptr) {
  auto sup =
      supervisor::create("root", ex, flags(s), {worker("a", j), worker("b", j), worker("c", j)}, m);
  REQUIRE(sup->start().ok());
  ex.run_ready();
  j.events.clear();
  return sup;
}
}  // namespace

TEST_CASE("children start in order") {
  manual_executor ex;
  journal j;
  auto sup = supervisor::create("root", ex, flags(strategy::one_for_one),
                                {worker("a", j), worker("b", j), worker("c", j)});
  REQUIRE(sup->start().ok());
  CHECK(j.joined() == "start a,start b,start c");
}

TEST_CASE("one_for_one restarts only the crashed child, after the backoff") {
  manual_executor ex;
  journal j;
  metrics_registry m;
  auto sup = three(ex, j, strategy::one_for_one, &m);
  j.live["b"]->crash("boom");
  ex.run_ready();
  CHECK(j.joined().empty());  // still waiting for the 100 ms backoff
  ex.advance(milliseconds(99));
  CHECK(j.joined().empty());
  ex.advance(milliseconds(1));
  CHECK(j.joined() == "start b");
  CHECK(m.value_of("emqx_cpp_process_restarts_total", {{"child", "b"}}) == 1);
  CHECK(m.value_of("emqx_cpp_process_restarts_total", {{"child", "a"}}) == -1);
  auto st = sup->state();
  CHECK(st.children[1].restarts == 1);
  CHECK(st.children[1].last_error == "boom");
  CHECK(st.children[1].status == "running");
}

TEST_CASE("one_for_all stops the others in reverse order and restarts all in order") {
  manual_executor ex;
  journal j;
  auto sup = three(ex, j, strategy::one_for_all);
  j.live["b"]->crash("boom");
  ex.run_ready();
  CHECK(j.joined() == "stop c,stop a");
  ex.advance(milliseconds(100));
  CHECK(j.joined() == "stop c,stop a,start a,start b,start c");
}

TEST_CASE("rest_for_one restarts the crashed child and those started after it") {
  manual_executor ex;
  journal j;
  auto sup = three(ex, j, strategy::rest_for_one);
  j.live["b"]->crash("boom");
  ex.run_ready();
  CHECK(j.joined() == "stop c");
  ex.advance(milliseconds(100));
  CHECK(j.joined() == "stop c,start b,start c");
  j.events.clear();
  j.live["c"]->crash("boom");
  ex.advance(seconds(1));
  CHECK(j.joined() == "start c");
}

TEST_CASE("rest_for_one: an earlier crash during the backoff widens the pending restart") {
  manual_executor ex;
  journal j;
  auto sup = three(ex, j, strategy::rest_for_one);
  j.live["c"]->crash("first");
  ex.run_ready();
  j.live["a"]->crash("second");
  ex.run_ready();
  CHECK(j.joined() == "stop b");
  ex.advance(seconds(1));
  CHECK(j.joined() == "stop b,start a,start b,start c");
}

TEST_CASE("simple_one_for_one starts children from a template on demand") {
  manual_executor ex;
  journal j;
  auto sup =
      supervisor::create("pool", ex, flags(strategy::simple_one_for_one), {worker("conn", j)});
  REQUIRE(sup->start().ok());
  CHECK(j.events.empty());
  auto id1 = sup->start_child(std::any(std::string("x")));
  auto id2 = sup->start_child(std::any(std::string("y")));
  REQUIRE(id1.ok());
  REQUIRE(id2.ok());
  CHECK(id1.value() == "conn-1");
  CHECK(j.joined() == "start conn:x,start conn:y");
  j.events.clear();
  j.live["conn:x"]->crash("boom");
  ex.advance(milliseconds(100));
  CHECK(j.joined() == "start conn:x");  // restarted with the same arguments
  j.events.clear();
  REQUIRE(sup->terminate_child("conn-2").ok());
  ex.run_ready();
  CHECK(j.joined() == "stop conn:y");
  CHECK(sup->child_count() == 2);  // the template and conn-1
  CHECK_FALSE(sup->start_child(worker("other", j)).ok());
}

TEST_CASE("simple_one_for_one needs exactly one template") {
  manual_executor ex;
  journal j;
  CHECK_THROWS_AS(supervisor::create("pool", ex, flags(strategy::simple_one_for_one),
                                     {worker("a", j), worker("b", j)}),
                  std::invalid_argument);
}

TEST_CASE("duplicate child ids are refused") {
  manual_executor ex;
  journal j;
  CHECK_THROWS_AS(supervisor::create("root", ex, flags(strategy::one_for_one),
                                     {worker("a", j), worker("a", j)}),
                  std::invalid_argument);
}
