// SPDX-License-Identifier: Apache-2.0
//
// EMQX_CPP_* environment overrides: every kind of value from text, nested sections,
// listeners, plugins, precedence over the file, and the messages for bad variables.
#include <doctest/doctest.h>

#include "config_test.hpp"

using namespace emqx_cpp::config;
using emqx_cpp::config::test::env_error;
using emqx_cpp::config::test::env_ok;
using emqx_cpp::config::test::load_error;
using emqx_cpp::config::test::load_ok;

TEST_CASE("environment values of every kind") {
  const auto cfg = env_ok({
      {"EMQX_CPP_MQTT__MAX_INFLIGHT", "64"},
      {"EMQX_CPP_MQTT__RETAIN_AVAILABLE", "false"},
      {"EMQX_CPP_MQTT__IDLE_TIMEOUT", "30s"},
      {"EMQX_CPP_MQTT__RETRY_INTERVAL", "infinity"},
      {"EMQX_CPP_MQTT__MAX_PACKET_SIZE", "2MB"},
      {"EMQX_CPP_RETAINER__MAX_PAYLOAD_SIZE", "4096"},
      {"EMQX_CPP_MQTT__KEEPALIVE_MULTIPLIER", "2.5"},
      {"EMQX_CPP_MQTT__SHARED_SUBSCRIPTION_STRATEGY", "sticky"},
      {"EMQX_CPP_MQTT__RESPONSE_INFORMATION", "a b = c"},
      {"EMQX_CPP_MQTT__MAX_SUBSCRIPTIONS", "infinity"},
      {"EMQX_CPP_MQTT__SERVER_KEEPALIVE", "disabled"},
      {"EMQX_CPP_LOG__LEVEL", "debug"},
      {"EMQX_CPP_NODE__NAME", "n1@host"},
      {"EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_SUBSCRIBED", "true"},
      {"EMQX_CPP_PLUGINS__ENABLED", "auth_file, bridge ,,"},
      {"EMQX_CPP_PLUGINS__SEARCH_PATH", "/opt/plugins"},
      {"PATH", "/usr/bin"},
      {"EMQX_OTHER", "ignored: not our prefix"},
  });
  CHECK(cfg.mqtt.max_inflight == 64);
  CHECK_FALSE(cfg.mqtt.retain_available);
  CHECK(cfg.mqtt.idle_timeout_ms == 30000);
  CHECK(cfg.mqtt.retry_interval_ms == 0);
  CHECK(cfg.mqtt.max_packet_size == 2 * 1024 * 1024);
  CHECK(cfg.retainer.max_payload_size == 4096);
  CHECK(cfg.mqtt.keepalive_multiplier == 2.5);
  CHECK(cfg.mqtt.shared_subscription_strategy == shared_strategy::sticky);
  CHECK(cfg.mqtt.response_information == "a b = c");
  CHECK(cfg.mqtt.max_subscriptions == 0);
  CHECK(cfg.mqtt.server_keepalive == 0);
  CHECK(cfg.log.level == "debug");
  CHECK(cfg.node.name == "n1@host");
  CHECK(cfg.sys_topics.client_subscribed);
  CHECK(cfg.plugins.enabled == std::vector<std::string>{"auth_file", "bridge"});
  CHECK(cfg.plugins.search_path == "/opt/plugins");
}

TEST_CASE("an empty list variable empties the list") {
  const auto cfg = load_ok("plugins.enabled = [\"a\"]", {{"EMQX_CPP_PLUGINS__ENABLED", ""}});
  CHECK(cfg.plugins.enabled.empty());
}

TEST_CASE("the environment wins over the file") {
  const auto cfg = load_ok("[mqtt]\nmax_inflight = 10\n[log]\nlevel = \"error\"\n",
                           {{"EMQX_CPP_MQTT__MAX_INFLIGHT", "20"}});
  CHECK(cfg.mqtt.max_inflight == 20);
  CHECK(cfg.log.level == "error");  // not overridden
}

TEST_CASE("listener overrides: the default one, one from the file, a new one") {
  auto cfg = env_ok({{"EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND", "127.0.0.1:1884"}});
  REQUIRE(cfg.tcp_listeners.size() == 1);
  CHECK(cfg.tcp_listeners[0].host == "127.0.0.1");
  CHECK(cfg.tcp_listeners[0].port == 1884);

  cfg = load_ok("[listeners.tcp.Public]\nbind = \"1883\"\n",
                {{"EMQX_CPP_LISTENERS__TCP__PUBLIC__BIND", "[::1]:8883"},
                 {"EMQX_CPP_LISTENERS__TCP__PUBLIC__NODELAY", "false"}});
  REQUIRE(cfg.tcp_listeners.size() == 1);
  CHECK(cfg.tcp_listeners[0].name == "Public");
  CHECK(cfg.tcp_listeners[0].host == "::1");
  CHECK(cfg.tcp_listeners[0].port == 8883);
  CHECK_FALSE(cfg.tcp_listeners[0].nodelay);

  cfg = env_ok({{"EMQX_CPP_LISTENERS__TCP__EXTRA__BIND", "2883"},
                {"EMQX_CPP_LISTENERS__TCP__EXTRA__MAX_CONNECTIONS", "10"}});
  REQUIRE(cfg.tcp_listeners.size() == 2);
  CHECK(cfg.tcp_listeners[0].name == "default");
  CHECK(cfg.tcp_listeners[1].name == "extra");
  CHECK(cfg.tcp_listeners[1].port == 2883);
  CHECK(cfg.tcp_listeners[1].max_connections == 10);
  CHECK(cfg.tcp_listeners[1].backlog == 1024);
}

TEST_CASE("plugin table overrides keep the TOML type the text spells") {
  const auto cfg = load_ok("[plugins.auth_file]\npath = \"a\"\n",
                           {{"EMQX_CPP_PLUGINS__AUTH_FILE__PATH", "etc/passwd"},
                            {"EMQX_CPP_PLUGINS__AUTH_FILE__CACHE__TTL", "5"},
                            {"EMQX_CPP_PLUGINS__AUTH_FILE__STRICT", "true"},
                            {"EMQX_CPP_PLUGINS__AUTH_FILE__NOTE", "x\ny = 1"},
                            {"EMQX_CPP_PLUGINS__BRIDGE__HOSTS", "[\"a\", \"b\"]"}});
  REQUIRE(cfg.plugins.tables.size() == 2);
  CHECK(cfg.plugins.tables[0].first == "auth_file");
  const auto& text = cfg.plugins.tables[0].second;
  CHECK(text.find("path = 'etc/passwd'") != std::string::npos);
  CHECK(text.find("strict = true") != std::string::npos);
  // Text with a newline stays one string; it cannot add keys of its own.
  CHECK(text.find("note = '''x\ny = 1'''") != std::string::npos);
  CHECK(text.find("\ny = 1\n") == std::string::npos);
  CHECK(text.find("[cache]\nttl = 5") != std::string::npos);
  CHECK(cfg.plugins.tables[1].first == "bridge");
  CHECK(cfg.plugins.tables[1].second == "hosts = [ 'a', 'b' ]");
}

TEST_CASE("a plugin table is matched by name without regard to case") {
  const auto cfg =
      load_ok("[plugins.AuthFile]\npath = \"a\"\n", {{"EMQX_CPP_PLUGINS__AUTHFILE__PATH", "b"}});
  REQUIRE(cfg.plugins.tables.size() == 1);
  CHECK(cfg.plugins.tables[0].first == "AuthFile");
  CHECK(cfg.plugins.tables[0].second == "path = 'b'");
}

TEST_CASE("a plugin override cannot reach inside a value") {
  CHECK(load_error("[plugins.p]\nx = 1\n", {{"EMQX_CPP_PLUGINS__P__X__Y", "2"}}) ==
        "env EMQX_CPP_PLUGINS__P__X__Y: plugins.p.x.y: is inside a value that is not a table");
}

TEST_CASE("bad environment values name the variable and the key") {
  CHECK(env_error({{"EMQX_CPP_MQTT__MAX_INFLIGHT", "0"}}) ==
        "env EMQX_CPP_MQTT__MAX_INFLIGHT: mqtt.max_inflight: must be an integer in 1..65535, "
        "got \"0\"");
  CHECK(env_error({{"EMQX_CPP_MQTT__MAX_INFLIGHT", "lots"}}) ==
        "env EMQX_CPP_MQTT__MAX_INFLIGHT: mqtt.max_inflight: must be an integer in 1..65535, "
        "got \"lots\"");
  CHECK(env_error({{"EMQX_CPP_MQTT__STRICT_MODE", "yes"}}) ==
        "env EMQX_CPP_MQTT__STRICT_MODE: mqtt.strict_mode: must be true or false, got \"yes\"");
  CHECK(
      env_error({{"EMQX_CPP_MQTT__IDLE_TIMEOUT", "15"}}) ==
      R"(env EMQX_CPP_MQTT__IDLE_TIMEOUT: mqtt.idle_timeout: must be a duration such as "15s" (units ms, s, m, h, d), at least 1ms, or "infinity", got "15" (a duration needs a unit, e.g. "15s"))");
  CHECK(env_error({{"EMQX_CPP_MQTT__KEEPALIVE_MULTIPLIER", "101"}}) ==
        "env EMQX_CPP_MQTT__KEEPALIVE_MULTIPLIER: mqtt.keepalive_multiplier: must be a number > 0 "
        "and <= 100, got \"101\"");
  CHECK(env_error({{"EMQX_CPP_LOG__LEVEL", "verbose"}}) ==
        "env EMQX_CPP_LOG__LEVEL: log.level: must be one of trace, debug, info, warning, error, "
        "critical, off, got \"verbose\"");
  CHECK(
      env_error({{"EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND", "1883x"}}) ==
      R"(env EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND: listeners.tcp.default.bind: must be "host:port", "[ipv6]:port" or "port", with an IP address and port 0..65535, got "1883x")");
  auto r = load_config_string("", "broker.toml", {{"EMQX_CPP_MQTT__MAX_INFLIGHT", "0"}});
  REQUIRE_FALSE(r);
  CHECK(r.err().code == static_cast<int>(load_errc::bad_env));
}

TEST_CASE("variables that name no key are refused, with a suggestion when one is near") {
  CHECK(env_error({{"EMQX_CPP_MQTT__MAX_INFLGHT", "5"}}) ==
        "env EMQX_CPP_MQTT__MAX_INFLGHT: mqtt.max_inflght: unknown key, did you mean "
        "mqtt.max_inflight?");
  CHECK(env_error({{"EMQX_CPP_MQTT_MAX_INFLIGHT", "5"}}) ==
        "env EMQX_CPP_MQTT_MAX_INFLIGHT: mqtt_max_inflight: unknown key, did you mean "
        "mqtt.max_inflight?");
  CHECK(env_error({{"EMQX_CPP_MQTT", "5"}}) == "env EMQX_CPP_MQTT: mqtt: unknown key");
  CHECK(env_error({{"EMQX_CPP_MQTT____MAX_INFLIGHT", "5"}}) ==
        "env EMQX_CPP_MQTT____MAX_INFLIGHT: mqtt..max_inflight: unknown key, did you mean "
        "mqtt.max_inflight?");
  CHECK(env_error({{"EMQX_CPP_LISTENERS__TCP__DEFAULT__BNID", "1"}}) ==
        "env EMQX_CPP_LISTENERS__TCP__DEFAULT__BNID: listeners.tcp.default.bnid: unknown key, "
        "did you mean listeners.tcp.default.bind?");
  CHECK(env_error({{"EMQX_CPP_LISTENERS__SSL__DEFAULT__BIND", "1"}}) ==
        "env EMQX_CPP_LISTENERS__SSL__DEFAULT__BIND: listeners.ssl.default.bind: unknown key");
  CHECK(env_error({{"EMQX_CPP_LISTENERS__TCX__DEFAULT__BIND", "1"}}) ==
        "env EMQX_CPP_LISTENERS__TCX__DEFAULT__BIND: listeners.tcx.default.bind: unknown key, "
        "did you mean listeners.tcp.default.bind?");
  CHECK(env_error({{"EMQX_CPP_LISTENERS__TCP", "1"}}) ==
        "env EMQX_CPP_LISTENERS__TCP: listeners.tcp: unknown key");
  CHECK(env_error({{"EMQX_CPP_PLUGINS__ENABLE", "a"}}) ==
        "env EMQX_CPP_PLUGINS__ENABLE: plugins.enable: unknown key, did you mean "
        "plugins.enabled?");
  CHECK(env_error({{"EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_SUBSCRIBE", "true"}}) ==
        "env EMQX_CPP_SYS_TOPICS__SYS_EVENT_MESSAGES__CLIENT_SUBSCRIBE: "
        "sys_topics.sys_event_messages.client_subscribe: unknown key, did you mean "
        "sys_topics.sys_event_messages.client_subscribed?");
}

TEST_CASE("the first bad variable by name is reported, and file errors come first") {
  CHECK(env_error({{"EMQX_CPP_ZZZ", "1"}, {"EMQX_CPP_AAA", "1"}}) ==
        "env EMQX_CPP_AAA: aaa: unknown key");
  CHECK(load_error("mqtt.max_inflight = 0", {{"EMQX_CPP_AAA", "1"}}) ==
        "broker.toml:1:6: mqtt.max_inflight: must be an integer in 1..65535, got 0");
}
