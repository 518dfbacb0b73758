// SPDX-License-Identifier: Apache-2.0
//
// Loading files that are right: defaults, every kind of value, several listeners,
// plugin tables, and describe() reading back to the same configuration.
#include "config/loader.hpp"

#include <doctest/doctest.h>

#include "config_test.hpp"

using namespace emqx_cpp::config;
using emqx_cpp::config::test::load_ok;

TEST_CASE("an empty file gives EMQX's defaults") {
  const auto cfg = load_ok("");
  CHECK(describe(cfg) == describe(defaults()));
  CHECK(cfg.node.name == "emqx@127.0.0.1");
  CHECK(cfg.node.worker_threads == 0);
  REQUIRE(cfg.tcp_listeners.size() == 1);
  CHECK(cfg.tcp_listeners[0].name == "default");
  CHECK(cfg.tcp_listeners[0].host == "0.0.0.0");
  CHECK(cfg.tcp_listeners[0].port == 1883);
  CHECK(cfg.mqtt.idle_timeout_ms == 15000);
  CHECK(cfg.mqtt.max_packet_size == 1024 * 1024);
  CHECK(cfg.mqtt.shared_subscription_strategy == shared_strategy::round_robin);
  CHECK(cfg.mqtt.session_expiry_interval_ms == 2 * 3600 * 1000);
  CHECK(cfg.mqtt.await_rel_timeout_ms == 300000);
  CHECK(cfg.retainer.max_payload_size == 1024 * 1024);
  CHECK(cfg.sys_topics.sys_msg_interval_ms == 60000);
  CHECK(cfg.log.level == "info");
  CHECK(cfg.plugins.enabled.empty());
  CHECK(cfg.plugins.search_path == "plugins");
  CHECK(cfg.plugins.tables.empty());
}

TEST_CASE("every kind of value is read into its field") {
  const auto cfg = load_ok(R"(
[node]
name = "broker1@10.0.0.5"
worker_threads = 4

[mqtt]
idle_timeout = "500ms"
max_packet_size = "64KB"
max_clientid_len = 23
max_topic_levels = 1
max_topic_alias = 0
max_qos_allowed = 1
retain_available = false
wildcard_subscription = false
shared_subscription = false
shared_subscription_strategy = "hash_clientid"
exclusive_subscription = true
ignore_loop_deliver = true
strict_mode = false
response_information = "resp/"
server_keepalive = 120
keepalive_multiplier = 2
retry_interval = "30s"
use_username_as_clientid = true
session_expiry_interval = "1d"
message_expiry_interval = "2h"
max_awaiting_rel = "infinity"
await_rel_timeout = "1m"
max_inflight = 65535
max_mqueue_len = "infinity"
mqueue_store_qos0 = false
max_subscriptions = 10
upgrade_qos = true
allow_anonymous = false
max_topic_alias_outbound = 16

[retainer]
enable = false
max_payload_size = 512
msg_expiry_interval = "1h"
max_retained_messages = 1000000

[sys_topics]
sys_msg_interval = "disabled"
sys_heartbeat_interval = "5s"

[sys_topics.sys_event_messages]
client_connected = false
client_disconnected = false
client_subscribed = true
client_unsubscribed = true

[log]
level = "debug"
file = "/var/log/emqx-cpp.log"

[plugins]
enabled = ["auth_file", "bridge"]
search_path = "/usr/lib/emqx-cpp/plugins"
)");
  CHECK(cfg.node.name == "broker1@10.0.0.5");
  CHECK(cfg.node.worker_threads == 4);
  const auto& m = cfg.mqtt;
  CHECK(m.idle_timeout_ms == 500);
  CHECK(m.max_packet_size == 64 * 1024);
  CHECK(m.max_clientid_len == 23);
  CHECK(m.max_topic_levels == 1);
  CHECK(m.max_topic_alias == 0);
  CHECK(m.max_qos_allowed == 1);
  CHECK_FALSE(m.retain_available);
  CHECK_FALSE(m.wildcard_subscription);
  CHECK_FALSE(m.shared_subscription);
  CHECK(m.shared_subscription_strategy == shared_strategy::hash_clientid);
  CHECK(m.exclusive_subscription);
  CHECK(m.ignore_loop_deliver);
  CHECK_FALSE(m.strict_mode);
  CHECK(m.response_information == "resp/");
  CHECK(m.server_keepalive == 120);
  CHECK(m.keepalive_multiplier == 2.0);
  CHECK(m.retry_interval_ms == 30000);
  CHECK(m.use_username_as_clientid);
  CHECK(m.session_expiry_interval_ms == 86400000);
  CHECK(m.message_expiry_interval_ms == 7200000);
  CHECK(m.max_awaiting_rel == 0);
  CHECK(m.await_rel_timeout_ms == 60000);
  CHECK(m.max_inflight == 65535);
  CHECK(m.max_mqueue_len == 0);
  CHECK_FALSE(m.mqueue_store_qos0);
  CHECK(m.max_subscriptions == 10);
  CHECK(m.upgrade_qos);
  CHECK_FALSE(m.allow_anonymous);
  CHECK(m.max_topic_alias_outbound == 16);
  CHECK_FALSE(cfg.retainer.enable);
  CHECK(cfg.retainer.max_payload_size == 512);
  CHECK(cfg.retainer.msg_expiry_interval_ms == 3600000);
  CHECK(cfg.retainer.max_retained_messages == 1000000);
  CHECK(cfg.sys_topics.sys_msg_interval_ms == 0);
  CHECK(cfg.sys_topics.sys_heartbeat_interval_ms == 5000);
  CHECK_FALSE(cfg.sys_topics.client_connected);
  CHECK_FALSE(cfg.sys_topics.client_disconnected);
  CHECK(cfg.sys_topics.client_subscribed);
  CHECK(cfg.sys_topics.client_unsubscribed);
  CHECK(cfg.log.level == "debug");
  CHECK(cfg.log.file == "/var/log/emqx-cpp.log");
  CHECK(cfg.plugins.enabled == std::vector<std::string>{"auth_file", "bridge"});
  CHECK(cfg.plugins.search_path == "/usr/lib/emqx-cpp/plugins");

  // Everything read comes back out the same way.
  CHECK(describe(load_ok(describe(cfg))) == describe(cfg));
}

TEST_CASE("every shared subscription strategy and log level is accepted") {
  const char* strategies[] = {"random", "round_robin", "round_robin_per_group", "sticky",
                              "local",  "hash_topic",  "hash_clientid"};
  for (int i = 0; i < 7; ++i) {
    const auto cfg =
        load_ok(std::string("mqtt.shared_subscription_strategy = \"") + strategies[i] + "\"");
    CHECK(static_cast<int>(cfg.mqtt.shared_subscription_strategy) == i);
  }
  for (const char* level : {"trace", "debug", "info", "warning", "error", "critical", "off"}) {
    CHECK(load_ok(std::string("log.level = \"") + level + "\"").log.level == level);
  }
}

TEST_CASE("limits are inclusive at both ends") {
  CHECK(load_ok("mqtt.max_packet_size = 268435455").mqtt.max_packet_size == 268435455);
  CHECK(load_ok("mqtt.max_packet_size = \"1B\"").mqtt.max_packet_size == 1);
  CHECK(load_ok("mqtt.max_qos_allowed = 0").mqtt.max_qos_allowed == 0);
  CHECK(load_ok("mqtt.keepalive_multiplier = 100.0").mqtt.keepalive_multiplier == 100.0);
  CHECK(load_ok("mqtt.keepalive_multiplier = 0.01").mqtt.keepalive_multiplier == 0.01);
  CHECK(load_ok("node.worker_threads = 256").node.worker_threads == 256);
  CHECK(load_ok("mqtt.server_keepalive = 65535").mqtt.server_keepalive == 65535);
  CHECK(load_ok("mqtt.max_awaiting_rel = 4294967295").mqtt.max_awaiting_rel == 4294967295U);
}

TEST_CASE("the listeners table lists exactly the listeners opened") {
  const auto cfg = load_ok(R"(
[listeners.tcp.public]
bind = "[::]:1883"
max_connections = 100000
backlog = 4096
high_watermark = "4MB"
nodelay = false

[listeners.tcp.internal]
bind = "127.0.0.1:11883"
enable = false

[listeners.tcp.bare]
bind = 2883
)");
  REQUIRE(cfg.tcp_listeners.size() == 3);
  // In file order, not the alphabetical order TOML tables iterate in.
  const auto& pub = cfg.tcp_listeners[0];
  CHECK(pub.name == "public");
  CHECK(pub.host == "::");
  CHECK(pub.port == 1883);
  CHECK(pub.max_connections == 100000);
  CHECK(pub.backlog == 4096);
  CHECK(pub.high_watermark == 4 * 1024 * 1024);
  CHECK_FALSE(pub.nodelay);
  CHECK(pub.enable);
  const auto& internal = cfg.tcp_listeners[1];
  CHECK(internal.name == "internal");
  CHECK(internal.host == "127.0.0.1");
  CHECK(internal.port == 11883);
  CHECK_FALSE(internal.enable);
  CHECK(internal.backlog == 1024);  // unset keys keep their defaults
  const auto& bare = cfg.tcp_listeners[2];
  CHECK(bare.host == "0.0.0.0");
  CHECK(bare.port == 2883);

  CHECK(describe(load_ok(describe(cfg))) == describe(cfg));
}

TEST_CASE("a listener bound by port alone listens on every IPv4 address") {
  const auto cfg = load_ok("[listeners.tcp.default]\nbind = \"1884\"\n");
  REQUIRE(cfg.tcp_listeners.size() == 1);
  CHECK(cfg.tcp_listeners[0].host == "0.0.0.0");
  CHECK(cfg.tcp_listeners[0].port == 1884);
}

TEST_CASE("an empty listeners table means no listeners, and describe keeps it so") {
  const auto cfg = load_ok("[listeners]\n");
  CHECK(cfg.tcp_listeners.empty());
  CHECK(load_ok(describe(cfg)).tcp_listeners.empty());
}

TEST_CASE("plugin tables are kept as TOML text in file order") {
  const auto cfg = load_ok(R"(
[plugins]
enabled = ["zeta", "auth_file"]

[plugins.zeta]
level = 3

[plugins.auth_file]
path = "etc/passwd"
hash = "sha256"

[plugins.auth_file.cache]
ttl = "1m"
)");
  REQUIRE(cfg.plugins.tables.size() == 2);
  CHECK(cfg.plugins.tables[0].first == "zeta");
  CHECK(cfg.plugins.tables[0].second == "level = 3");
  CHECK(cfg.plugins.tables[1].first == "auth_file");
  const auto& text = cfg.plugins.tables[1].second;
  CHECK(text.find("path = 'etc/passwd'") != std::string::npos);
  CHECK(text.find("[cache]") != std::string::npos);

  const auto described = describe(cfg);
  CHECK(described.find("[plugins.auth_file.cache]") != std::string::npos);
  const auto again = load_ok(described);
  CHECK(again.plugins.tables.size() == 2);
  CHECK(describe(again) == described);
}

TEST_CASE("an empty plugin table survives describe") {
  const auto cfg = load_ok("[plugins.quiet]\n");
  REQUIRE(cfg.plugins.tables.size() == 1);
  CHECK(cfg.plugins.tables[0].second.empty());
  const auto again = load_ok(describe(cfg));
  REQUIRE(again.plugins.tables.size() == 1);
  CHECK(again.plugins.tables[0].first == "quiet");
}

TEST_CASE("a hand-built configuration with broken plugin text still describes") {
  auto cfg = defaults();
  cfg.plugins.tables.emplace_back("broken", "= nope");
  const auto text = describe(cfg);
  CHECK(text.find("# [plugins.broken] is not valid TOML:") != std::string::npos);
}

TEST_CASE("describe writes zero as the word the key uses") {
  const auto text = describe(defaults());
  CHECK(text.find("max_connections = \"infinity\"") != std::string::npos);
  CHECK(text.find("server_keepalive = \"disabled\"") != std::string::npos);
  CHECK(text.find("retry_interval = \"infinity\"") != std::string::npos);
  CHECK(text.find("msg_expiry_interval = \"0s\"") != std::string::npos);
  CHECK(text.find("await_rel_timeout = \"5m\"") != std::string::npos);
  CHECK(text.find("keepalive_multiplier = 1.5") != std::string::npos);
  CHECK(text.find("bind = \"0.0.0.0:1883\"") != std::string::npos);

  auto cfg = defaults();
  cfg.mqtt.keepalive_multiplier = 2;
  CHECK(describe(cfg).find("keepalive_multiplier = 2.0") != std::string::npos);
}

TEST_CASE("load_config_file reads a file and names it in messages") {
  auto missing = load_config_file("no/such/broker.toml", {});
  REQUIRE_FALSE(missing);
  CHECK(missing.err().code == static_cast<int>(load_errc::unreadable));
  CHECK(missing.err().message == "no/such/broker.toml: cannot read: No such file or directory");
}

TEST_CASE("process_environment sees this process's variables") {
  const auto env = process_environment();
  bool found_path = false;
  for (const auto& [name, text] : env)
    found_path = found_path || name == "PATH";
  CHECK(found_path);
}
