// SPDX-License-Identifier: Apache-2.0
//
// plugin.h promises that after on_stop returns no callback of the plugin runs. fx_order
// holds a message.publish hook for 300 ms while the plugin is unloaded, keeps a 1 ms
// timer and a retained-store provider busy, and writes VIOLATION to its journal if any
// of them runs after its on_stop.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

TEST_CASE("unload: hooks, providers and timers stop before on_stop; on_destroy comes last") {
  const auto journal = (std::filesystem::path(TEST_OUTPUT_DIR) / "fx_order.journal").string();
  std::filesystem::remove(journal);
  fixture_broker b("unload_order", "fx_order",
                   {"EMQX_CPP_PLUGINS__FX_ORDER__JOURNAL=" + journal, "EMQX_CPP_LOG__LEVEL=info"});
  auto journal_text = [&] {
    std::ifstream in(journal);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };

  // Retained and plain publishes from clients on both workers keep the hook and the
  // provider busy while the plugin goes.
  std::atomic<bool> stop{false};
  std::vector<std::thread> traffic;
  for (int t = 0; t < 4; ++t) {
    traffic.emplace_back([&, t] {
      mqtt_client c("127.0.0.1", b.port());
      if (!c.connect("order-traffic-" + std::to_string(t))) return;
      for (int i = 0; !stop.load(); ++i)
        c.publish("order/t/" + std::to_string(i % 50), "x", 0, i % 2 == 0);
    });
  }
  mqtt_client slow("127.0.0.1", b.port());
  REQUIRE(slow.connect("order-slow"));
  REQUIRE(slow.publish("order/slow", "hold the hook", 0));
  REQUIRE(eventually([&] { return journal_text().find("hook slow begins") != std::string::npos; }));
  // The slow hook is running on a worker right now: the unload must wait for it.
  const auto [rc, out] = b.ctl({"plugins", "unload", "fx_order"});
  CHECK(rc == 0);
  std::this_thread::sleep_for(200ms);
  stop = true;
  for (auto& t : traffic)
    t.join();

  const std::string text = journal_text();
  CAPTURE(text);
  CHECK(text.find("VIOLATION") == std::string::npos);
  const auto ends = text.find("hook slow ends");
  const auto stopped = text.find("on_stop");
  const auto destroyed = text.find("on_destroy");
  REQUIRE(ends != std::string::npos);
  REQUIRE(stopped != std::string::npos);
  REQUIRE(destroyed != std::string::npos);
  CHECK(ends < stopped);
  CHECK(stopped < destroyed);
  CHECK(b.serves());
}
