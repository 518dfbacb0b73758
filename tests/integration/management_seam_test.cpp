// SPDX-License-Identifier: Apache-2.0
//
// The management seam: a plugin (fx_mgmt) adds `emqx-cpp ctl` commands and /api/v5
// routes, answered at once or later from its own thread, reads the kernel's metrics and
// publishes with MQTT 5 properties; GET /status answers health checks; an unloaded
// plugin's routes are gone.
#include <doctest/doctest.h>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/http_client.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

TEST_CASE("plugins add ctl commands and REST routes; the kernel serves /status") {
  fixture_broker b("mgmt_seam", "fx_mgmt");
  const int http = b.broker->http_port();
  REQUIRE(http != 0);

  auto status = http_request(http, "GET", "/status");
  CHECK(status.status == 200);
  CHECK(status.body.find("is running") != std::string::npos);

  auto [rc, out] = b.ctl({"fxecho", "one", "two"});
  CHECK(rc == 0);
  CHECK(out.find("echo: one two") != std::string::npos);
  auto [later_rc, later] = b.ctl({"fxecho", "later"});
  CHECK(later_rc == 0);
  CHECK(later.find("answered later") != std::string::npos);
  auto [fail_rc, failed] = b.ctl({"fxecho", "fail"});
  CHECK(fail_rc == 1);
  CHECK(failed.find("it failed, as asked") != std::string::npos);
  auto [help_rc, help] = b.ctl({"help"});
  CHECK(help_rc == 0);
  CHECK(help.find("fxecho") != std::string::npos);
  CHECK(help.find("plugin fx_mgmt") != std::string::npos);

  auto echo = http_request(http, "GET", "/api/v5/fx/echo/hello?x=1");
  CHECK(echo.status == 200);
  CHECK(echo.content_type == "application/json");
  CHECK(echo.body == R"({"word":"hello","query":"x=1"})");
  auto body = http_request(http, "POST", "/api/v5/fx/body", "payload bytes");
  CHECK(body.status == 201);
  CHECK(body.body == "payload bytes");
  auto missing = http_request(http, "GET", "/api/v5/nothing/here");
  CHECK(missing.status == 404);
  CHECK(missing.body.find("NOT_FOUND") != std::string::npos);

  // The kernel's metrics, as a plugin reads them: EMQX's names and values.
  mqtt_client c("127.0.0.1", b.port());
  REQUIRE(c.connect("metric-maker"));
  REQUIRE(c.publish("nobody/listens", "x", 1));
  auto metrics = http_request(http, "GET", "/api/v5/fx/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("messages.received counter 1\n") != std::string::npos);
  CHECK(metrics.body.find("messages.dropped.no_subscribers counter 1\n") != std::string::npos);
  CHECK(metrics.body.find("connections.count gauge 1\n") != std::string::npos);

  // api_publish_v5: a plugin's message with MQTT 5 properties.
  mqtt_client sub("127.0.0.1", b.port());
  REQUIRE(sub.connect("v5-props"));
  REQUIRE(sub.subscribe("fx/published", 1));
  CHECK(http_request(http, "POST", "/api/v5/fx/publish", "from a plugin").status == 200);
  auto got = sub.expect<mqtt::publish_packet>();
  REQUIRE(got);
  CHECK(got->payload == "from a plugin");
  REQUIRE(got->props);
  CHECK(got->props->content_type == "text/plain");
  CHECK(got->props->response_topic == "fx/replies");
  CHECK(got->props->correlation_data == "c-1");
  CHECK(got->props->message_expiry_interval.has_value());
  CHECK(got->props->user == mqtt::user_properties{{"origin", "fx_mgmt"}});

  // Unloaded, its command and routes go with it.
  REQUIRE(b.ctl({"plugins", "unload", "fx_mgmt"}).first == 0);
  CHECK(http_request(http, "GET", "/api/v5/fx/echo/hello").status == 404);
  auto [gone_rc, gone] = b.ctl({"fxecho", "one"});
  CHECK(gone_rc == 1);
  CHECK(http_request(http, "GET", "/status").status == 200);
}

TEST_CASE("dashboard.listeners.http.enable = false: no HTTP listener") {
  fixture_broker b("mgmt_http_off", "", {"EMQX_CPP_DASHBOARD__LISTENERS__HTTP__ENABLE=false"});
  CHECK(b.broker->http_port() == 0);
  CHECK(b.serves());
}
