// SPDX-License-Identifier: Apache-2.0
//
// The broker's configuration as typed values. kernel/config fills it from
// conf/broker.toml, EMQX_CPP_* environment overrides and the defaults (EMQX's, see
// docs/design/config.md); everything else in the kernel reads only this struct.
// Durations are milliseconds; 0 where EMQX says "disabled"/"infinity" is spelled out
// per field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace emqx_cpp::config {

// EMQX's rate format: "10/s", "10MB/2s"; amount 0 = "infinity" (no limit).
struct rate_limit {
  std::uint64_t amount = 0;
  std::uint64_t period_ms = 1000;
  bool limited() const { return amount != 0; }
  double per_second() const {
    return static_cast<double>(amount) * 1000.0 / static_cast<double>(period_ms);
  }
  bool operator==(const rate_limit&) const = default;
};

// One [listeners.tcp.<name>] table.
struct tcp_listener_config {
  std::string name = "default";
  bool enable = true;
  std::string host = "0.0.0.0";       // IPv4 or IPv6 literal; "::" listens on IPv6 (and v4-mapped)
  std::uint16_t port = 1883;          // 0 = pick a free port (tests)
  std::uint64_t max_connections = 0;  // 0 = infinity
  int backlog = 1024;
  std::uint64_t high_watermark = 1024ULL * 1024;  // bytes of unsent output per connection
  bool nodelay = true;
  // EMQX's listener limiters: connections accepted per period on this listener, and
  // per connection the messages (PUBLISH) and bytes read per period.
  rate_limit max_conn_rate;
  rate_limit messages_rate;
  rate_limit bytes_rate;
};

enum class shared_strategy {
  random,
  round_robin,
  round_robin_per_group,
  sticky,
  local,
  hash_topic,
  hash_clientid
};

// Where topics mqueue_priorities does not list go: below or above every listed one.
enum class default_priority : std::uint8_t { lowest, highest };

struct mqtt_config {
  std::uint64_t idle_timeout_ms = 15000;        // 0 = infinity
  std::uint32_t max_packet_size = 1024 * 1024;  // bytes
  std::uint32_t max_clientid_len = 65535;       // 23..65535
  std::uint32_t max_topic_levels = 128;         // 1..65535
  std::uint16_t max_topic_alias = 65535;        // 0..65535
  std::uint8_t max_qos_allowed = 2;             // 0..2
  bool retain_available = true;
  bool wildcard_subscription = true;
  bool shared_subscription = true;
  shared_strategy shared_subscription_strategy = shared_strategy::round_robin;
  bool exclusive_subscription = false;
  bool ignore_loop_deliver = false;
  bool strict_mode = true;
  std::string response_information;    // "" = not sent
  std::uint16_t server_keepalive = 0;  // seconds; 0 = disabled
  double keepalive_multiplier = 1.5;
  std::uint64_t retry_interval_ms = 0;  // 0 = infinity (resend only on reconnect)
  bool use_username_as_clientid = false;
  std::uint64_t session_expiry_interval_ms = 2ULL * 3600 * 1000;  // MQTT 3.x persistent sessions
  std::uint64_t message_expiry_interval_ms = 0;                   // 0 = infinity
  std::uint32_t max_awaiting_rel = 100;                           // 0 = infinity
  std::uint64_t await_rel_timeout_ms = 300000;
  std::uint16_t max_inflight = 32;      // 1..65535
  std::uint32_t max_mqueue_len = 1000;  // 0 = infinity
  bool mqueue_store_qos0 = true;
  // EMQX's mqueue_priorities: topic -> 1..255, higher leaves the queue first; empty =
  // "disabled". Topics not listed get mqueue_default_priority.
  std::vector<std::pair<std::string, std::uint16_t>> mqueue_priorities;
  default_priority mqueue_default_priority = default_priority::lowest;
  std::uint32_t max_subscriptions = 0;  // 0 = infinity
  bool upgrade_qos = false;
  bool allow_anonymous = true;                     // with no authenticator: allow or refuse
  std::uint16_t max_topic_alias_outbound = 65535;  // aliases the broker may assign; 0 = off
};

// What a subscriber that cannot keep up does to its publishers (docs/design/flow-control.md).
enum class slow_subscriber_policy : std::uint8_t { drop, disconnect };

// [flow_control]: back-pressure from online subscribers to their publishers.
struct flow_control_config {
  // An online session whose queue reaches either mark holds back the publishers that
  // feed it; they are read again once it is below half of both.
  std::uint32_t queue_high_watermark = 500;                   // messages
  std::uint64_t queue_high_watermark_bytes = 1024ULL * 1024;  // payload and topic bytes
  // A session above its high-water mark this long is a slow subscriber.
  std::uint64_t slow_subscriber_timeout_ms = 5000;
  slow_subscriber_policy slow_subscriber = slow_subscriber_policy::drop;
};

// [force_shutdown]: EMQX's per-connection limits, applied to what the broker holds for
// one connected client (its session queue, and its queue bytes plus unsent output).
struct force_shutdown_config {
  bool enable = false;
  std::uint32_t max_mailbox_size = 1000;              // queued messages
  std::uint64_t max_heap_size = 32ULL * 1024 * 1024;  // queued bytes + unsent output
};

// [overload_protection]: the node's memory budget (heap in use).
struct overload_protection_config {
  bool enable = false;
  std::uint64_t memory_high_watermark = 2048ULL * 1024 * 1024;
  std::uint64_t memory_low_watermark = 1536ULL * 1024 * 1024;
};

struct retainer_config {
  bool enable = true;
  std::uint64_t max_payload_size = 1024ULL * 1024;  // larger retained payloads are not stored
  std::uint64_t msg_expiry_interval_ms = 0;         // 0 = never
  std::uint64_t msg_clear_interval_ms = 0;          // 0 = sweep only when the store is full
  std::uint64_t max_retained_messages = 0;          // 0 = unlimited
};

// [authorization]: what the kernel does around the client.authorize chain.
struct authorization_config {
  // A per-connection cache of decisions, so a plugin backed by a database is not asked
  // for every PUBLISH (EMQX's authorization.cache).
  bool cache_enable = true;
  std::uint32_t cache_max_size = 32;  // decisions kept per connection
  std::uint64_t cache_ttl_ms = 60000;
};

struct sys_topics_config {
  std::uint64_t sys_msg_interval_ms = 60000;        // 0 = disabled
  std::uint64_t sys_heartbeat_interval_ms = 30000;  // 0 = disabled
  bool client_connected = true;
  bool client_disconnected = true;
  bool client_subscribed = false;
  bool client_unsubscribed = false;
};

// [dashboard.listeners.http]: the node's HTTP listener (GET /status and the /api/v5 routes
// plugins register), EMQX's port 18083. On loopback by default: it has no
// authentication of its own yet.
struct dashboard_config {
  bool http_enable = true;
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 18083;  // 0 = pick a free port (tests)
};

struct log_config {
  std::string level = "info";  // trace, debug, info, warning, error, critical, off
  std::string file;            // "" = console (stderr)
};

struct node_config {
  std::string name = "emqx@127.0.0.1";
  int worker_threads = 0;         // 0 = one per core
  std::string data_dir = "data";  // runtime files: the control socket (ctl.sock)
};

// [plugins]: what the plugin host loads. Each [plugins.<name>] table is kept as TOML
// text (its keys relative to the table, nested tables as relative headers) for the
// plugin host to parse and check against that plugin's own schema.
struct plugins_config {
  std::vector<std::string> enabled;
  std::string search_path = "plugins";
  std::uint64_t hook_timeout_ms = 5000;  // how long an asynchronous hook may take
  std::vector<std::pair<std::string, std::string>> tables;  // name -> TOML text, in file order
};

struct broker_config {
  node_config node;
  std::vector<tcp_listener_config> tcp_listeners{tcp_listener_config{}};
  mqtt_config mqtt;
  flow_control_config flow_control;
  overload_protection_config overload_protection;
  force_shutdown_config force_shutdown;
  retainer_config retainer;
  authorization_config authorization;
  sys_topics_config sys_topics;
  dashboard_config dashboard;
  log_config log;
  plugins_config plugins;
  // The file this configuration came from ("" for defaults), so later checks (plugin
  // tables) can point at a line in it.
  std::string source_file;
};

}  // namespace emqx_cpp::config
