// SPDX-License-Identifier: Apache-2.0
//
// The key table. Adding a key means one entry here (and a field in broker_config.hpp):
// the loader, the environment overrides, describe(), conf/broker.toml and the
// documentation all follow from it, and the unit tests fail until conf/broker.toml and
// docs/design/config.md are regenerated. Defaults follow EMQX's (emqx_schema.erl).
#include "config/schema.hpp"

#include <array>
#include <type_traits>

namespace emqx_cpp::config {
namespace {

template <class T>
void assign(T& dst, const value& v) {
  if constexpr (std::is_same_v<T, std::vector<std::pair<std::string, std::uint16_t>>>) {
    dst.clear();
    for (std::size_t i = 0; i + 1 < v.list.size(); i += 2)
      dst.emplace_back(v.list[i], static_cast<std::uint16_t>(std::stoul(v.list[i + 1])));
  } else if constexpr (std::is_same_v<T, rate_limit>) {
    dst.amount = v.number;
    dst.period_ms = static_cast<std::uint64_t>(v.real);
  } else if constexpr (std::is_same_v<T, bool>) {
    dst = v.boolean;
  } else if constexpr (std::is_same_v<T, double>) {
    dst = v.real;
  } else if constexpr (std::is_same_v<T, std::string>) {
    dst = v.text;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    dst = v.list;
  } else {
    // Integers and enums: the range check in the loader guarantees the value fits.
    dst = static_cast<T>(v.number);
  }
}

template <class T>
value extract(const T& src) {
  value v;
  if constexpr (std::is_same_v<T, std::vector<std::pair<std::string, std::uint16_t>>>) {
    for (const auto& [topic, priority] : src) {
      v.list.push_back(topic);
      v.list.push_back(std::to_string(priority));
    }
  } else if constexpr (std::is_same_v<T, rate_limit>) {
    v.number = src.amount;
    v.real = static_cast<double>(src.period_ms);
  } else if constexpr (std::is_same_v<T, bool>) {
    v.boolean = src;
  } else if constexpr (std::is_same_v<T, double>) {
    v.real = src;
  } else if constexpr (std::is_same_v<T, std::string>) {
    v.text = src;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    v.list = src;
  } else {
    v.number = static_cast<std::uint64_t>(src);
  }
  return v;
}

// Accessors for broker_config.<section>.<field>, made from member pointers so each
// table entry names its field once.
template <auto Section, auto Field>
constexpr global_access at() {
  return {[](broker_config& c, const value& v) { assign(c.*Section.*Field, v); },
          [](const broker_config& c) { return extract(c.*Section.*Field); }};
}

template <auto Field>
constexpr listener_access on_listener() {
  return {[](tcp_listener_config& l, const value& v) { assign(l.*Field, v); },
          [](const tcp_listener_config& l) { return extract(l.*Field); }};
}

constexpr listener_access listener_bind = {[](tcp_listener_config& l, const value& v) {
                                             l.host = v.text;
                                             l.port = static_cast<std::uint16_t>(v.number);
                                           },
                                           [](const tcp_listener_config& l) {
                                             value v;
                                             v.text = l.host;
                                             v.number = l.port;
                                             return v;
                                           }};

constexpr global_access dashboard_bind = {[](broker_config& c, const value& v) {
                                            c.dashboard.http_host = v.text;
                                            c.dashboard.http_port =
                                                static_cast<std::uint16_t>(v.number);
                                          },
                                          [](const broker_config& c) {
                                            value v;
                                            v.text = c.dashboard.http_host;
                                            v.number = c.dashboard.http_port;
                                            return v;
                                          }};

bool is_node_name(std::string_view s) {
  const auto at_sign = s.find('@');
  return at_sign != std::string_view::npos && at_sign > 0 && at_sign + 1 < s.size();
}

// In the order of enum shared_strategy.
constexpr std::array<std::string_view, 7> strategy_names = {
    "random", "round_robin", "round_robin_per_group", "sticky",
    "local",  "hash_topic",  "hash_clientid"};

constexpr std::array<std::string_view, 2> slow_policies = {"drop", "disconnect"};
constexpr std::array<std::string_view, 2> default_priorities = {"lowest", "highest"};

constexpr std::array<std::string_view, 7> log_levels = {"trace", "debug",    "info", "warning",
                                                        "error", "critical", "off"};

constexpr std::uint64_t u16_max = 65535;
constexpr std::uint64_t u32_max = 4294967295;
constexpr std::uint64_t max_mqtt_packet = 268435455;  // the largest the MQTT length field allows

using B = broker_config;
using L = tcp_listener_config;

constexpr key_spec key_table[] = {
    // [node]
    {.path = "node.name",
     .type = kind::string,
     .default_text = R"("emqx@127.0.0.1")",
     .meaning = "this node's name, name@host; identifies it in a cluster and in $SYS topics",
     .text_ok = is_node_name,
     .text_rule = "of the form name@host",
     .global = at<&B::node, &node_config::name>()},
    {.path = "node.worker_threads",
     .type = kind::integer,
     .default_text = "0",
     .meaning = "I/O worker threads; 0 = one per CPU core",
     .max = 256,
     .global = at<&B::node, &node_config::worker_threads>()},
    {.path = "node.data_dir",
     .type = kind::string,
     .default_text = R"("data")",
     .meaning = "directory for the node's runtime files (the ctl socket); relative to the working "
                "directory",
     .global = at<&B::node, &node_config::data_dir>()},

    // [listeners.tcp.<name>]
    {.path = "listeners.tcp.<name>.enable",
     .default_text = "true",
     .meaning = "start this listener",
     .listener = on_listener<&L::enable>()},
    {.path = "listeners.tcp.<name>.bind",
     .type = kind::bind,
     .default_text = R"("0.0.0.0:1883")",
     .meaning = "address and port to listen on; port 0 picks a free port",
     .listener = listener_bind},
    {.path = "listeners.tcp.<name>.max_connections",
     .type = kind::integer,
     .default_text = R"("infinity")",
     .meaning = "most connections this listener holds at once",
     .min = 1,
     .word = zero_word::infinity,
     .listener = on_listener<&L::max_connections>()},
    {.path = "listeners.tcp.<name>.backlog",
     .type = kind::integer,
     .default_text = "1024",
     .meaning = "length of the queue of connections not yet accepted (listen backlog)",
     .min = 1,
     .max = u16_max,
     .listener = on_listener<&L::backlog>()},
    {.path = "listeners.tcp.<name>.high_watermark",
     .type = kind::size,
     .default_text = R"("1MB")",
     .meaning = "unsent output per connection above which QoS 0 deliveries to it wait in its "
                "session queue (with mqtt.mqueue_store_qos0 = false they are dropped)",
     .min = 1,
     .max = 1024ULL * 1024 * 1024,
     .listener = on_listener<&L::high_watermark>()},
    {.path = "listeners.tcp.<name>.nodelay",
     .default_text = "true",
     .meaning = "send small packets at once (TCP_NODELAY) instead of batching them",
     .listener = on_listener<&L::nodelay>()},
    {.path = "listeners.tcp.<name>.max_conn_rate",
     .type = kind::rate,
     .default_text = R"("infinity")",
     .meaning = "most connections this listener accepts per period; beyond it clients wait "
                "in the listen backlog",
     .listener = on_listener<&L::max_conn_rate>()},
    {.path = "listeners.tcp.<name>.messages_rate",
     .type = kind::rate,
     .default_text = R"("infinity")",
     .meaning = "most PUBLISH packets read from each connection per period; a client above "
                "it is read more slowly, not disconnected",
     .listener = on_listener<&L::messages_rate>()},
    {.path = "listeners.tcp.<name>.bytes_rate",
     .type = kind::rate,
     .default_text = R"("infinity")",
     .meaning = "most bytes read from each connection per period (\"1MB/s\"); a client above "
                "it is read more slowly",
     .listener = on_listener<&L::bytes_rate>()},

    // [mqtt]
    {.path = "mqtt.idle_timeout",
     .type = kind::duration,
     .default_text = R"("15s")",
     .meaning = "close a connection that has not sent CONNECT within this time",
     .min = 1,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::idle_timeout_ms>()},
    {.path = "mqtt.max_packet_size",
     .type = kind::size,
     .default_text = R"("1MB")",
     .meaning = "largest MQTT packet accepted; MQTT 5 clients are told (Maximum-Packet-Size)",
     .min = 1,
     .max = max_mqtt_packet,
     .global = at<&B::mqtt, &mqtt_config::max_packet_size>()},
    {.path = "mqtt.max_clientid_len",
     .type = kind::integer,
     .default_text = "65535",
     .meaning = "longest client id accepted",
     .min = 23,
     .max = u16_max,
     .global = at<&B::mqtt, &mqtt_config::max_clientid_len>()},
    {.path = "mqtt.max_topic_levels",
     .type = kind::integer,
     .default_text = "128",
     .meaning = "most '/'-separated levels in a topic name or filter",
     .min = 1,
     .max = u16_max,
     .global = at<&B::mqtt, &mqtt_config::max_topic_levels>()},
    {.path = "mqtt.max_topic_alias",
     .type = kind::integer,
     .default_text = "65535",
     .meaning = "Topic-Alias-Maximum offered to MQTT 5 clients; 0 = no aliases",
     .max = u16_max,
     .global = at<&B::mqtt, &mqtt_config::max_topic_alias>()},
    {.path = "mqtt.max_qos_allowed",
     .type = kind::integer,
     .default_text = "2",
     .meaning = "highest QoS the broker supports (Maximum-QoS in CONNACK)",
     .max = 2,
     .global = at<&B::mqtt, &mqtt_config::max_qos_allowed>()},
    {.path = "mqtt.retain_available",
     .default_text = "true",
     .meaning = "accept retained messages (Retain-Available in CONNACK)",
     .global = at<&B::mqtt, &mqtt_config::retain_available>()},
    {.path = "mqtt.wildcard_subscription",
     .default_text = "true",
     .meaning = "allow '+' and '#' in subscriptions (Wildcard-Subscription-Available)",
     .global = at<&B::mqtt, &mqtt_config::wildcard_subscription>()},
    {.path = "mqtt.shared_subscription",
     .default_text = "true",
     .meaning = "allow $share/<group>/<filter> subscriptions (Shared-Subscription-Available)",
     .global = at<&B::mqtt, &mqtt_config::shared_subscription>()},
    {.path = "mqtt.shared_subscription_strategy",
     .type = kind::enumeration,
     .default_text = R"("round_robin")",
     .meaning = "how a shared subscription group picks the subscriber of each message",
     .choices = strategy_names,
     .global = at<&B::mqtt, &mqtt_config::shared_subscription_strategy>()},
    {.path = "mqtt.exclusive_subscription",
     .default_text = "false",
     .meaning = "allow $exclusive/<filter> subscriptions (one subscriber per topic)",
     .global = at<&B::mqtt, &mqtt_config::exclusive_subscription>()},
    {.path = "mqtt.ignore_loop_deliver",
     .default_text = "false",
     .meaning = "never send clients their own messages back (no_local for MQTT 3.x)",
     .global = at<&B::mqtt, &mqtt_config::ignore_loop_deliver>()},
    {.path = "mqtt.strict_mode",
     .default_text = "true",
     .meaning = "check packets, UTF-8 strings and topic names strictly",
     .global = at<&B::mqtt, &mqtt_config::strict_mode>()},
    {.path = "mqtt.response_information",
     .type = kind::string,
     .default_text = R"("")",
     .meaning = "Response-Information for MQTT 5 clients that ask for it; \"\" = none",
     .global = at<&B::mqtt, &mqtt_config::response_information>()},
    {.path = "mqtt.server_keepalive",
     .type = kind::integer,
     .default_text = R"("disabled")",
     .meaning = "Server-Keep-Alive in seconds imposed on MQTT 5 clients",
     .min = 1,
     .max = u16_max,
     .word = zero_word::disabled,
     .global = at<&B::mqtt, &mqtt_config::server_keepalive>()},
    {.path = "mqtt.keepalive_multiplier",
     .type = kind::number,
     .default_text = "1.5",
     .meaning = "a client silent for keepalive times this factor is disconnected",
     .max = 100,
     .global = at<&B::mqtt, &mqtt_config::keepalive_multiplier>()},
    {.path = "mqtt.retry_interval",
     .type = kind::duration,
     .default_text = R"("infinity")",
     .meaning = "resend unacknowledged QoS 1/2 messages after this; infinity = on reconnect only",
     .min = 1,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::retry_interval_ms>()},
    {.path = "mqtt.use_username_as_clientid",
     .default_text = "false",
     .meaning = "replace each client's id with its username",
     .global = at<&B::mqtt, &mqtt_config::use_username_as_clientid>()},
    {.path = "mqtt.session_expiry_interval",
     .type = kind::duration,
     .default_text = R"("2h")",
     .meaning = "how long an MQTT 3.x persistent session outlives its connection",
     .global = at<&B::mqtt, &mqtt_config::session_expiry_interval_ms>()},
    {.path = "mqtt.message_expiry_interval",
     .type = kind::duration,
     .default_text = R"("infinity")",
     .meaning = "expiry of messages that carry no Message-Expiry-Interval",
     .min = 1,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::message_expiry_interval_ms>()},
    {.path = "mqtt.max_awaiting_rel",
     .type = kind::integer,
     .default_text = "100",
     .meaning = "most incoming QoS 2 messages awaiting PUBREL per client",
     .min = 1,
     .max = u32_max,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::max_awaiting_rel>()},
    {.path = "mqtt.await_rel_timeout",
     .type = kind::duration,
     .default_text = R"("300s")",
     .meaning = "drop an incoming QoS 2 message whose PUBREL has not come within this time",
     .global = at<&B::mqtt, &mqtt_config::await_rel_timeout_ms>()},
    {.path = "mqtt.max_inflight",
     .type = kind::integer,
     .default_text = "32",
     .meaning = "most unacknowledged QoS 1/2 deliveries in flight per session",
     .min = 1,
     .max = u16_max,
     .global = at<&B::mqtt, &mqtt_config::max_inflight>()},
    {.path = "mqtt.max_mqueue_len",
     .type = kind::integer,
     .default_text = "1000",
     .meaning = "most messages queued per session while it is offline or its in-flight is full",
     .min = 1,
     .max = u32_max,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::max_mqueue_len>()},
    {.path = "mqtt.mqueue_store_qos0",
     .default_text = "true",
     .meaning = "queue QoS 0 messages as well",
     .global = at<&B::mqtt, &mqtt_config::mqueue_store_qos0>()},
    {.path = "mqtt.mqueue_priorities",
     .type = kind::priorities,
     .default_text = R"("disabled")",
     .meaning = "priorities of topics in the session queue, e.g. { \"alarm/fire\" = 10 }: a "
                "higher one leaves first, and max_mqueue_len applies to each priority (EMQX)",
     .global = at<&B::mqtt, &mqtt_config::mqueue_priorities>()},
    {.path = "mqtt.mqueue_default_priority",
     .type = kind::enumeration,
     .default_text = R"("lowest")",
     .meaning = "the priority of topics mqueue_priorities does not list: below or above all",
     .choices = default_priorities,
     .global = at<&B::mqtt, &mqtt_config::mqueue_default_priority>()},
    {.path = "mqtt.max_subscriptions",
     .type = kind::integer,
     .default_text = R"("infinity")",
     .meaning = "most subscriptions per client",
     .min = 1,
     .max = u32_max,
     .word = zero_word::infinity,
     .global = at<&B::mqtt, &mqtt_config::max_subscriptions>()},
    {.path = "mqtt.upgrade_qos",
     .default_text = "false",
     .meaning = "deliver at the publish QoS even when the subscription's QoS is lower",
     .global = at<&B::mqtt, &mqtt_config::upgrade_qos>()},
    {.path = "mqtt.allow_anonymous",
     .default_text = "true",
     .meaning = "with no authenticator configured: allow (true) or refuse (false) every client",
     .global = at<&B::mqtt, &mqtt_config::allow_anonymous>()},
    {.path = "mqtt.max_topic_alias_outbound",
     .type = kind::integer,
     .default_text = "65535",
     .meaning = "most topic aliases the broker assigns when sending to an MQTT 5 client, within "
                "the client's Topic Alias Maximum (as EMQX); 0 = none",
     .max = u16_max,
     .global = at<&B::mqtt, &mqtt_config::max_topic_alias_outbound>()},

    // [flow_control]
    {.path = "flow_control.queue_high_watermark",
     .type = kind::integer,
     .default_text = "500",
     .meaning = "queued messages of an online session at which the publishers feeding it are "
                "no longer read; they resume below half of it",
     .min = 2,
     .max = u32_max,
     .global = at<&B::flow_control, &flow_control_config::queue_high_watermark>()},
    {.path = "flow_control.queue_high_watermark_bytes",
     .type = kind::size,
     .default_text = R"("1MB")",
     .meaning = "the same mark in queued payload and topic bytes; whichever is reached first "
                "holds the publishers back",
     .min = 2,
     .max = 1024ULL * 1024 * 1024 * 64,
     .global = at<&B::flow_control, &flow_control_config::queue_high_watermark_bytes>()},
    {.path = "flow_control.slow_subscriber_timeout",
     .type = kind::duration,
     .default_text = R"("5s")",
     .meaning = "a session that stays above its high-water mark this long is a slow "
                "subscriber: its publishers are released and slow_subscriber_policy applies",
     .min = 1,
     .global = at<&B::flow_control, &flow_control_config::slow_subscriber_timeout_ms>()},
    {.path = "flow_control.slow_subscriber_policy",
     .type = kind::enumeration,
     .default_text = R"("drop")",
     .meaning = "drop: the slow subscriber's queue is held to mqtt.max_mqueue_len, the oldest "
                "messages dropped (delivery.dropped.queue_full), as EMQX; disconnect: its "
                "connection is closed (DISCONNECT 0x97) and its session goes offline",
     .choices = slow_policies,
     .global = at<&B::flow_control, &flow_control_config::slow_subscriber>()},

    // [force_shutdown]
    {.path = "force_shutdown.enable",
     .default_text = "false",
     .meaning = "close a connection whose session queue or held bytes pass the limits below "
                "(DISCONNECT 0x97); off by default because flow control already bounds the "
                "queue of a connected client",
     .global = at<&B::force_shutdown, &force_shutdown_config::enable>()},
    {.path = "force_shutdown.max_mailbox_size",
     .type = kind::integer,
     .default_text = "1000",
     .meaning = "most messages queued for one connected client",
     .min = 1,
     .max = u32_max,
     .global = at<&B::force_shutdown, &force_shutdown_config::max_mailbox_size>()},
    {.path = "force_shutdown.max_heap_size",
     .type = kind::size,
     .default_text = R"("32MB")",
     .meaning = "most bytes held for one connected client: its queued messages and its "
                "unsent output",
     .min = 1,
     .max = 1024ULL * 1024 * 1024 * 1024,
     .global = at<&B::force_shutdown, &force_shutdown_config::max_heap_size>()},

    // [overload_protection]
    {.path = "overload_protection.enable",
     .default_text = "false",
     .meaning = "watch the node's heap: above memory_high_watermark refuse new connections "
                "(CONNACK 0x89, or 3 for MQTT 3.x) and stop reading publishers until it is "
                "below memory_low_watermark",
     .global = at<&B::overload_protection, &overload_protection_config::enable>()},
    {.path = "overload_protection.memory_high_watermark",
     .type = kind::size,
     .default_text = R"("2GB")",
     .meaning = "heap in use at which the node counts as overloaded",
     .min = 1,
     .max = 1024ULL * 1024 * 1024 * 1024,
     .global = at<&B::overload_protection, &overload_protection_config::memory_high_watermark>()},
    {.path = "overload_protection.memory_low_watermark",
     .type = kind::size,
     .default_text = R"("1536MB")",
     .meaning = "heap in use below which an overloaded node serves normally again; below "
                "memory_high_watermark",
     .min = 1,
     .max = 1024ULL * 1024 * 1024 * 1024,
     .global = at<&B::overload_protection, &overload_protection_config::memory_low_watermark>()},

    // [retainer]
    {.path = "retainer.enable",
     .default_text = "true",
     .meaning = "store retained messages and send them to new subscribers",
     .global = at<&B::retainer, &retainer_config::enable>()},
    {.path = "retainer.max_payload_size",
     .type = kind::size,
     .default_text = R"("1MB")",
     .meaning = "retained messages with a larger payload are not stored",
     .max = max_mqtt_packet,
     .global = at<&B::retainer, &retainer_config::max_payload_size>()},
    {.path = "retainer.msg_expiry_interval",
     .type = kind::duration,
     .default_text = R"("0s")",
     .meaning = "expiry of retained messages that carry none; \"0s\" = never",
     .global = at<&B::retainer, &retainer_config::msg_expiry_interval_ms>()},
    {.path = "retainer.msg_clear_interval",
     .type = kind::duration,
     .default_text = R"("0s")",
     .meaning = "how often expired retained messages are removed; \"0s\" = only when the store "
                "is full",
     .global = at<&B::retainer, &retainer_config::msg_clear_interval_ms>()},
    {.path = "retainer.max_retained_messages",
     .type = kind::integer,
     .default_text = "0",
     .meaning = "most retained messages stored; 0 = unlimited",
     .global = at<&B::retainer, &retainer_config::max_retained_messages>()},

    // [authorization]
    {.path = "authorization.cache.enable",
     .default_text = "true",
     .meaning = "keep each connection's recent authorization decisions",
     .global = at<&B::authorization, &authorization_config::cache_enable>()},
    {.path = "authorization.cache.max_size",
     .type = kind::integer,
     .default_text = "32",
     .meaning = "most decisions kept per connection; the oldest gives way",
     .min = 1,
     .max = 1048576,
     .global = at<&B::authorization, &authorization_config::cache_max_size>()},
    {.path = "authorization.cache.ttl",
     .type = kind::duration,
     .default_text = R"("1m")",
     .meaning = "how long a cached decision is used",
     .min = 1,
     .global = at<&B::authorization, &authorization_config::cache_ttl_ms>()},

    // [sys_topics]
    {.path = "sys_topics.sys_msg_interval",
     .type = kind::duration,
     .default_text = R"("1m")",
     .meaning = "how often broker statistics are published under $SYS",
     .min = 1,
     .word = zero_word::disabled,
     .global = at<&B::sys_topics, &sys_topics_config::sys_msg_interval_ms>()},
    {.path = "sys_topics.sys_heartbeat_interval",
     .type = kind::duration,
     .default_text = R"("30s")",
     .meaning = "how often uptime and datetime are published under $SYS",
     .min = 1,
     .word = zero_word::disabled,
     .global = at<&B::sys_topics, &sys_topics_config::sys_heartbeat_interval_ms>()},
    {.path = "sys_topics.sys_event_messages.client_connected",
     .default_text = "true",
     .meaning = "publish $SYS/brokers/<node>/clients/<clientid>/connected events",
     .global = at<&B::sys_topics, &sys_topics_config::client_connected>()},
    {.path = "sys_topics.sys_event_messages.client_disconnected",
     .default_text = "true",
     .meaning = "publish $SYS/brokers/<node>/clients/<clientid>/disconnected events",
     .global = at<&B::sys_topics, &sys_topics_config::client_disconnected>()},
    {.path = "sys_topics.sys_event_messages.client_subscribed",
     .default_text = "false",
     .meaning = "publish $SYS/brokers/<node>/clients/<clientid>/subscribed events",
     .global = at<&B::sys_topics, &sys_topics_config::client_subscribed>()},
    {.path = "sys_topics.sys_event_messages.client_unsubscribed",
     .default_text = "false",
     .meaning = "publish $SYS/brokers/<node>/clients/<clientid>/unsubscribed events",
     .global = at<&B::sys_topics, &sys_topics_config::client_unsubscribed>()},

    // [dashboard.listeners.http]
    {.path = "dashboard.listeners.http.enable",
     .default_text = "true",
     .meaning = "serve GET /status and the /api/v5 routes of plugins over HTTP",
     .global = at<&B::dashboard, &dashboard_config::http_enable>()},
    {.path = "dashboard.listeners.http.bind",
     .type = kind::bind,
     .default_text = R"("127.0.0.1:18083")",
     .meaning = "address and port of the HTTP listener; port 0 picks a free port",
     .global = dashboard_bind},

    // [log]
    {.path = "log.level",
     .type = kind::enumeration,
     .default_text = R"("info")",
     .meaning = "lowest level of the lines written",
     .choices = log_levels,
     .global = at<&B::log, &log_config::level>()},
    {.path = "log.file",
     .type = kind::string,
     .default_text = R"("")",
     .meaning = "file the log is appended to; \"\" = standard error",
     .global = at<&B::log, &log_config::file>()},

    // [plugins]; the [plugins.<name>] tables are the plugin host's to check.
    {.path = "plugins.enabled",
     .type = kind::string_list,
     .default_text = "[]",
     .meaning = "plugins to start, in this order",
     .global = at<&B::plugins, &plugins_config::enabled>()},
    {.path = "plugins.search_path",
     .type = kind::string,
     .default_text = R"("plugins")",
     .meaning = "folders (':'-separated) holding <name>.so and <name>.plugin.toml",
     .global = at<&B::plugins, &plugins_config::search_path>()},
    {.path = "plugins.hook_timeout",
     .type = kind::duration,
     .default_text = R"("5s")",
     .meaning = "how long client.authenticate/authorize may wait for a plugin's asynchronous "
                "answer; then the plugin counts as ignoring the request",
     .min = 1,
     .global = at<&B::plugins, &plugins_config::hook_timeout_ms>()},
};

}  // namespace

std::span<const key_spec> keys() {
  return key_table;
}

const key_spec* find_global_key(std::string_view path) {
  for (const auto& k : key_table) {
    if (k.global.set != nullptr && k.path == path) return &k;
  }
  return nullptr;
}

const key_spec* find_listener_key(std::string_view leaf) {
  for (const auto& k : key_table) {
    if (k.listener.set != nullptr && leaf_of(k.path) == leaf) return &k;
  }
  return nullptr;
}

std::string_view section_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

}  // namespace emqx_cpp::config
