// SPDX-License-Identifier: Apache-2.0
//
// The config getters of host: each type present, absent (the broker has applied the
// manifest's defaults already, so absent stays nullopt rather than a wrapper default),
// of another type, array and table sizes, and durations in milliseconds.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "scratch_plugin.hpp"

using emqx_cpp::sdk::test::load_scratch;
using emqx_cpp::sdk::testing::fake_host;

TEST_CASE("each getter reads its own type and nothing else") {
  fake_host fake;
  fake.config["name"] = "edge";
  fake.config["port"] = 6379;
  fake.config["ratio"] = 0.5;
  fake.config["enabled"] = true;
  fake.config["timeout"] = std::int64_t{15000};  // "15s" in the TOML
  auto& h = load_scratch(fake).host();

  CHECK(h.config_string("name") == std::optional<std::string_view>{"edge"});
  CHECK(h.config_int("port") == 6379);
  CHECK(h.config_double("ratio") == 0.5);
  CHECK(h.config_double("port") == 6379.0);  // an integer reads as a float
  CHECK(h.config_bool("enabled") == true);
  CHECK(h.config_duration("timeout") == std::chrono::milliseconds{15000});

  CHECK_FALSE(h.config_int("name"));
  CHECK_FALSE(h.config_string("port"));
  CHECK_FALSE(h.config_bool("ratio"));
  CHECK_FALSE(h.config_int("ratio"));
}

TEST_CASE("an absent key is nullopt: defaults are the broker's job") {
  fake_host fake;
  auto& h = load_scratch(fake).host();
  CHECK_FALSE(h.config_string("missing"));
  CHECK_FALSE(h.config_int("missing"));
  CHECK_FALSE(h.config_double("missing"));
  CHECK_FALSE(h.config_bool("missing"));
  CHECK_FALSE(h.config_count("missing"));
  CHECK_FALSE(h.config_duration("missing"));
}

TEST_CASE("arrays and tables are walked by index and counted") {
  fake_host fake;
  fake.config["rules.0.action"] = "allow";
  fake.config["rules.0.topic"] = "a/#";
  fake.config["rules.1.action"] = "deny";
  fake.config["rules.1.topic"] = "#";
  fake.config["tags"] = fake_host::count{0};  // an empty array says so explicitly
  auto& h = load_scratch(fake).host();

  CHECK(h.config_count("rules") == 2);
  CHECK(h.config_count("rules.1") == 2);  // a table: its keys
  CHECK(h.config_count("tags") == 0);
  CHECK_FALSE(h.config_count("rules.0.action"));  // a scalar
  const auto n = h.config_count("rules").value_or(0);
  std::string actions;
  for (std::size_t i = 0; i < n; ++i) {
    actions += h.config_string("rules." + std::to_string(i) + ".action").value_or("?");
    actions += ';';
  }
  CHECK(actions == "allow;deny;");
}

TEST_CASE("a detached host answers nothing") {
  emqx_cpp::sdk::host detached;
  CHECK_FALSE(detached.attached());
  CHECK_FALSE(detached.config_string("x"));
  CHECK(detached.publish("t", "p") == ECP_ERR_WRONG_STATE);
  CHECK(detached.abi().major == 0);
  detached.info("nowhere");  // a no-op, not a crash
}
