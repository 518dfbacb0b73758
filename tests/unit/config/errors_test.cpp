// SPDX-License-Identifier: Apache-2.0
//
// Files that are wrong: each class of problem gives one message of the form
// FILE:LINE:COL: KEY: REASON, and the first problem in the file is the one reported.
#include <doctest/doctest.h>

#include "config_test.hpp"

using namespace emqx_cpp::config;
using emqx_cpp::config::test::load_error;

TEST_CASE("out of range integer") {
  CHECK(load_error("[mqtt]\nmax_inflight = 0\n") ==
        "broker.toml:2:1: mqtt.max_inflight: must be an integer in 1..65535, got 0");
  CHECK(load_error("[mqtt]\nmax_inflight = 65536\n") ==
        "broker.toml:2:1: mqtt.max_inflight: must be an integer in 1..65535, got 65536");
  CHECK(load_error("mqtt.max_qos_allowed = 3") ==
        "broker.toml:1:6: mqtt.max_qos_allowed: must be an integer in 0..2, got 3");
  CHECK(load_error("mqtt.max_clientid_len = -1") ==
        "broker.toml:1:6: mqtt.max_clientid_len: must be an integer in 23..65535, got -1");
  CHECK(load_error("node.worker_threads = 257") ==
        "broker.toml:1:6: node.worker_threads: must be an integer in 0..256, got 257");
}

TEST_CASE("integer or word") {
  CHECK(
      load_error("mqtt.max_mqueue_len = 0") ==
      R"(broker.toml:1:6: mqtt.max_mqueue_len: must be an integer in 1..4294967295 or "infinity", got 0)");
  CHECK(
      load_error("mqtt.max_mqueue_len = \"infinite\"") ==
      R"(broker.toml:1:6: mqtt.max_mqueue_len: must be an integer in 1..4294967295 or "infinity", got "infinite")");
  CHECK(
      load_error("mqtt.server_keepalive = \"infinity\"") ==
      R"(broker.toml:1:6: mqtt.server_keepalive: must be an integer in 1..65535 or "disabled", got "infinity")");
  CHECK(
      load_error("[listeners.tcp.default]\nmax_connections = 0") ==
      R"(broker.toml:2:1: listeners.tcp.default.max_connections: must be an integer >= 1 or "infinity", got 0)");
}

TEST_CASE("wrong TOML type") {
  CHECK(load_error("[mqtt]\nretain_available = \"yes\"\n") ==
        R"(broker.toml:2:1: mqtt.retain_available: must be true or false, got "yes")");
  CHECK(load_error("[mqtt]\nmax_inflight = \"32\"\n") ==
        R"(broker.toml:2:1: mqtt.max_inflight: must be an integer in 1..65535, got "32")");
  CHECK(load_error("[mqtt]\nmax_inflight = 3.5\n") ==
        "broker.toml:2:1: mqtt.max_inflight: must be an integer in 1..65535, got 3.5");
  CHECK(load_error("[log]\nfile = 5\n") == "broker.toml:2:1: log.file: must be a string, got 5");
  CHECK(load_error("[plugins]\nenabled = \"auth\"\n") ==
        R"(broker.toml:2:1: plugins.enabled: must be an array of strings, got "auth")");
  CHECK(load_error("[plugins]\nenabled = [\"auth\", 1]\n") ==
        "broker.toml:2:1: plugins.enabled: must be an array of strings, got an array");
  CHECK(load_error("[mqtt]\nmax_inflight = [1]\n") ==
        "broker.toml:2:1: mqtt.max_inflight: must be an integer in 1..65535, got an array");
  CHECK(load_error("[mqtt.max_inflight]\n") ==
        "broker.toml:1:7: mqtt.max_inflight: must be an integer in 1..65535, got a table");
  CHECK(load_error("[log]\nfile = 1979-05-27\n") ==
        "broker.toml:2:1: log.file: must be a string, got a date");
  CHECK(load_error("[log]\nfile = 07:32:00\n") ==
        "broker.toml:2:1: log.file: must be a string, got a time");
  CHECK(load_error("[log]\nfile = 1979-05-27T07:32:00Z\n") ==
        "broker.toml:2:1: log.file: must be a string, got a date-time");
  CHECK(load_error("mqtt = 5") == "broker.toml:1:1: mqtt: must be a table, got 5");
  CHECK(load_error("sys_topics.sys_event_messages = true") ==
        "broker.toml:1:12: sys_topics.sys_event_messages: must be a table, got true");
}

TEST_CASE("bad duration, size, number, enum, string and bind values") {
  CHECK(
      load_error("[mqtt]\nidle_timeout = 15\n") ==
      R"(broker.toml:2:1: mqtt.idle_timeout: must be a duration such as "15s" (units ms, s, m, h, d), at least 1ms, or "infinity", got 15 (a duration needs a unit, e.g. "15s"))");
  CHECK(
      load_error("[mqtt]\nsession_expiry_interval = \"15\"\n") ==
      R"(broker.toml:2:1: mqtt.session_expiry_interval: must be a duration such as "15s" (units ms, s, m, h, d), got "15" (a duration needs a unit, e.g. "15s"))");
  CHECK(
      load_error("[mqtt]\nretry_interval = \"15 seconds\"\n") ==
      R"(broker.toml:2:1: mqtt.retry_interval: must be a duration such as "15s" (units ms, s, m, h, d), at least 1ms, or "infinity", got "15 seconds")");
  CHECK(
      load_error("[mqtt]\nretry_interval = \"0s\"\n") ==
      R"(broker.toml:2:1: mqtt.retry_interval: must be a duration such as "15s" (units ms, s, m, h, d), at least 1ms, or "infinity", got "0s")");
  CHECK(
      load_error("[mqtt]\nawait_rel_timeout = true\n") ==
      R"(broker.toml:2:1: mqtt.await_rel_timeout: must be a duration such as "15s" (units ms, s, m, h, d), got true)");
  CHECK(
      load_error("[mqtt]\nmax_packet_size = \"256MB\"\n") ==
      R"(broker.toml:2:1: mqtt.max_packet_size: must be a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes, from 1B to 268435455B, got "256MB")");
  CHECK(
      load_error("[mqtt]\nmax_packet_size = 0\n") ==
      R"(broker.toml:2:1: mqtt.max_packet_size: must be a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes, from 1B to 268435455B, got 0)");
  CHECK(
      load_error("[retainer]\nmax_payload_size = -5\n") ==
      R"(broker.toml:2:1: retainer.max_payload_size: must be a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes, from 0B to 268435455B, got -5)");
  CHECK(
      load_error("[retainer]\nmax_payload_size = \"1 MB\"\n") ==
      R"(broker.toml:2:1: retainer.max_payload_size: must be a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes, from 0B to 268435455B, got "1 MB")");
  CHECK(
      load_error("[retainer]\nmax_payload_size = false\n") ==
      R"(broker.toml:2:1: retainer.max_payload_size: must be a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes, from 0B to 268435455B, got false)");
  CHECK(load_error("[mqtt]\nkeepalive_multiplier = 0\n") ==
        "broker.toml:2:1: mqtt.keepalive_multiplier: must be a number > 0 and <= 100, got 0");
  CHECK(load_error("[mqtt]\nkeepalive_multiplier = nan\n") ==
        "broker.toml:2:1: mqtt.keepalive_multiplier: must be a number > 0 and <= 100, got nan");
  CHECK(
      load_error("[mqtt]\nkeepalive_multiplier = \"1.5\"\n") ==
      R"(broker.toml:2:1: mqtt.keepalive_multiplier: must be a number > 0 and <= 100, got "1.5")");
  CHECK(load_error("[mqtt]\nshared_subscription_strategy = \"fastest\"\n") ==
        "broker.toml:2:1: mqtt.shared_subscription_strategy: must be one of random, round_robin, "
        "round_robin_per_group, sticky, local, hash_topic, hash_clientid, got \"fastest\"");
  CHECK(load_error("[mqtt]\nshared_subscription_strategy = 1\n") ==
        "broker.toml:2:1: mqtt.shared_subscription_strategy: must be one of random, round_robin, "
        "round_robin_per_group, sticky, local, hash_topic, hash_clientid, got 1");
  CHECK(load_error("[node]\nname = \"emqx\"\n") ==
        R"(broker.toml:2:1: node.name: must be a string of the form name@host, got "emqx")");
  CHECK(load_error("[node]\nname = \"emqx@\"\n") ==
        R"(broker.toml:2:1: node.name: must be a string of the form name@host, got "emqx@")");
  CHECK(
      load_error("[listeners.tcp.default]\nbind = \"localhost:1883\"\n") ==
      R"(broker.toml:2:1: listeners.tcp.default.bind: must be "host:port", "[ipv6]:port" or "port", with an IP address and port 0..65535, got "localhost:1883")");
  CHECK(
      load_error("[listeners.tcp.default]\nbind = 70000\n") ==
      R"(broker.toml:2:1: listeners.tcp.default.bind: must be "host:port", "[ipv6]:port" or "port", with an IP address and port 0..65535, got 70000)");
  CHECK(
      load_error("[listeners.tcp.default]\nbind = true\n") ==
      R"(broker.toml:2:1: listeners.tcp.default.bind: must be "host:port", "[ipv6]:port" or "port", with an IP address and port 0..65535, got true)");
}

TEST_CASE("long strings are cut short in messages") {
  const std::string long_value(100, 'x');
  CHECK(load_error("node.name = \"" + long_value + "\"") ==
        "broker.toml:1:6: node.name: must be a string of the form name@host, got \"" +
            std::string(60, 'x') + "\"...");
}

TEST_CASE("unknown key, with the closest known key when one is near") {
  CHECK(load_error("[mqtt]\nmax_inflght = 5\n") ==
        "broker.toml:2:1: mqtt.max_inflght: unknown key, did you mean mqtt.max_inflight?");
  CHECK(load_error("[mqtt]\nmax_infilght = 5\n") ==
        "broker.toml:2:1: mqtt.max_infilght: unknown key, did you mean mqtt.max_inflight?");
  CHECK(load_error("[mqtt]\ncompletely_unknown = 5\n") ==
        "broker.toml:2:1: mqtt.completely_unknown: unknown key");
  CHECK(load_error("[listeners.tcp.default]\nbnid = \"1883\"\n") ==
        "broker.toml:2:1: listeners.tcp.default.bnid: unknown key, did you mean "
        "listeners.tcp.default.bind?");
  CHECK(load_error("[listeners.tcp.default.bind2]\n") ==
        "broker.toml:1:24: listeners.tcp.default.bind2: unknown section, did you mean "
        "listeners.tcp.default.bind?");
  CHECK(load_error("[plugins]\nenable = []\n") ==
        "broker.toml:2:1: plugins.enable: unknown key, did you mean plugins.enabled?");
  CHECK(load_error("top_level = 1\n") == "broker.toml:1:1: top_level: unknown key");
  CHECK(load_error("[sys_topics.sys_event_messages]\nclient_connectd = true\n") ==
        "broker.toml:2:1: sys_topics.sys_event_messages.client_connectd: unknown key, did you "
        "mean sys_topics.sys_event_messages.client_connected?");
}

TEST_CASE("unknown section") {
  CHECK(load_error("[mqt]\n") == "broker.toml:1:2: mqt: unknown section, did you mean mqtt?");
  CHECK(load_error("[zones.default]\n") == "broker.toml:1:2: zones: unknown section");
  CHECK(load_error("[mqtt.limiter]\n") == "broker.toml:1:7: mqtt.limiter: unknown section");
  CHECK(load_error("[listeners.ssl.default]\n") ==
        "broker.toml:1:12: listeners.ssl: unknown section");
  CHECK(load_error("[listeners.tpc.default]\n") ==
        "broker.toml:1:12: listeners.tpc: unknown section, did you mean listeners.tcp?");
  CHECK(load_error("[listeners.ws.default]\n") ==
        "broker.toml:1:12: listeners.ws: unknown section");
  CHECK(load_error("[listeners]\nquic = 1\n") == "broker.toml:2:1: listeners.quic: unknown key");
}

TEST_CASE("listener and plugin tables must be tables with plain names") {
  CHECK(load_error("listeners = 1") == "broker.toml:1:1: listeners: must be a table, got 1");
  CHECK(load_error("[listeners]\ntcp = \"x\"\n") ==
        "broker.toml:2:1: listeners.tcp: must be a table, got \"x\"");
  CHECK(load_error("[listeners.tcp]\ndefault = 1883\n") ==
        "broker.toml:2:1: listeners.tcp.default: must be a table, got 1883");
  CHECK(load_error("[listeners.tcp.\"my listener\"]\n") ==
        "broker.toml:1:16: listeners.tcp.my listener: bad listener name: names may use only "
        "letters, digits, '_' and '-'");
  CHECK(load_error("plugins = []") == "broker.toml:1:1: plugins: must be a table, got an array");
  CHECK(load_error("[plugins.\"a.b\"]\n") ==
        "broker.toml:1:10: plugins.a.b: bad plugin name: names may use only letters, digits, '_' "
        "and '-'");
}

TEST_CASE("syntax errors give the position toml++ found") {
  const auto e = load_error("[mqtt]\nmax_inflight = \n");
  CHECK(e.rfind("broker.toml:2:", 0) == 0);
  CHECK(e.find(": syntax error: ") != std::string::npos);
  CHECK(load_error("a = 1\na = 2\n") ==
        "broker.toml:2:5: syntax error: Error while parsing key-value pair: cannot redefine "
        "existing integer 'a'");
  auto r = load_config_string("[mqtt", "x.toml", {});
  REQUIRE_FALSE(r);
  CHECK(r.err().code == static_cast<int>(load_errc::syntax));
  CHECK(r.err().message.rfind("x.toml:1:", 0) == 0);
}

TEST_CASE("the first problem in the file is reported, whatever the key order") {
  // toml++ iterates keys alphabetically; the loader must still report line 2 first.
  CHECK(load_error("[mqtt]\nzzz = 1\naaa = 2\n") == "broker.toml:2:1: mqtt.zzz: unknown key");
  CHECK(load_error("[retainer]\nenable = 1\n[listeners.tcp.a]\nbind = 1\nbacklog = 0\n") ==
        "broker.toml:2:1: retainer.enable: must be true or false, got 1");
  auto r = load_config_string("[mqtt]\nmax_inflight = 0\n", "broker.toml", {});
  REQUIRE_FALSE(r);
  CHECK(r.err().code == static_cast<int>(load_errc::invalid));
}

TEST_CASE("overload_protection: the low-water mark must be below the high-water mark") {
  CHECK(load_error("[overload_protection]\nmemory_high_watermark = \"1GB\"\n"
                   "memory_low_watermark = \"1GB\"\n") ==
        "broker.toml: overload_protection.memory_low_watermark: must be below "
        "overload_protection.memory_high_watermark (1073741824 >= 1073741824 bytes)");
}

TEST_CASE("a rate that is not one") {
  CHECK(
      load_error("[listeners.tcp.default]\nmessages_rate = \"100\"\n") ==
      R"(broker.toml:2:1: listeners.tcp.default.messages_rate: must be "<amount>/<period>" such as "100/s" or "10MB/2s" (a size unit for bytes, a duration for the period), or "infinity", got "100")");
}

TEST_CASE("mqueue_priorities: a table of topic = 1..255, or \"disabled\"") {
  using emqx_cpp::config::test::env_ok;
  using emqx_cpp::config::test::load_ok;
  using prio = std::vector<std::pair<std::string, std::uint16_t>>;
  CHECK(load_ok("[mqtt]\nmqueue_priorities = { \"alarm/fire\" = 10, \"a\" = 1 }\n")
            .mqtt.mqueue_priorities == prio{{"a", 1}, {"alarm/fire", 10}});
  CHECK(load_ok("mqtt.mqueue_priorities = \"disabled\"").mqtt.mqueue_priorities.empty());
  CHECK(
      env_ok({{"EMQX_CPP_MQTT__MQUEUE_PRIORITIES", "alarm/fire=10, a=2"}}).mqtt.mqueue_priorities ==
      prio{{"a", 2}, {"alarm/fire", 10}});
  CHECK(load_error("[mqtt]\nmqueue_priorities = { \"t\" = 256 }\n")
            .find("broker.toml:2:1: mqtt.mqueue_priorities: must be \"disabled\" or a table") == 0);
  CHECK(load_error("mqtt.mqueue_priorities = \"t=1\"").find("mqtt.mqueue_priorities: must be") !=
        std::string::npos);
}
