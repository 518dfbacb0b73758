// SPDX-License-Identifier: Apache-2.0
#include "broker/sys_topics.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

#ifndef EMQX_CPP_VERSION
#define EMQX_CPP_VERSION "0.0.0"
#endif

namespace emqx_cpp::broker {

namespace {
// RFC 3339 with nanoseconds and the local offset, as EMQX's datetime topic.
std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
      1000000000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char zone[8] = {0};
  std::strftime(zone, sizeof(zone), "%z", &tm);
  const std::string z(zone);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09}{}:{}", tm, ns, z.substr(0, 3), z.substr(3));
}
}  // namespace

sys_publisher::sys_publisher(broker& b, worker& home) : broker_(b), home_(home) {}

void sys_publisher::start() {
  publish_tick();  // version, sysdescr and the node list are retained from the start
  publish_heartbeat();
  arm_heartbeat();
  arm_tick();
}

void sys_publisher::stop() {
  home_.loop().cancel(heartbeat_timer_);
  home_.loop().cancel(tick_timer_);
  heartbeat_timer_ = tick_timer_ = 0;
}

void sys_publisher::arm_heartbeat() {
  const auto ms = broker_.cfg().sys_topics.sys_heartbeat_interval_ms;
  if (ms == 0) return;
  heartbeat_timer_ = home_.loop().schedule(std::chrono::milliseconds(ms), [this] {
    publish_heartbeat();
    arm_heartbeat();
  });
}

void sys_publisher::arm_tick() {
  const auto ms = broker_.cfg().sys_topics.sys_msg_interval_ms;
  if (ms == 0) return;
  tick_timer_ = home_.loop().schedule(std::chrono::milliseconds(ms), [this] {
    publish_tick();
    arm_tick();
  });
}

void sys_publisher::publish(const std::string& name, std::string payload, bool retain) {
  auto msg = std::make_shared<message>();
  msg->topic = "$SYS/brokers/" + broker_.node_name() + "/" + name;
  if (name.empty()) msg->topic = "$SYS/brokers";
  msg->payload = std::move(payload);
  msg->retain = retain;
  msg->sys = true;
  home_.stamp(*msg);
  if (retain) {
    // Retained $SYS messages expire after an hour unless refreshed, as EMQX sets.
    msg->expires_at = steady_clock::now() + std::chrono::hours(1);
    broker_.retained().store(msg);
  }
  home_.publish(msg);
}

void sys_publisher::publish_heartbeat() {
  const std::uint64_t uptime = wall_clock_ms() - broker_.started_at_ms();
  publish("uptime", std::to_string(uptime), false);
  publish("datetime", rfc3339_now(), false);
  home_.request_flush();
}

void sys_publisher::publish_tick() {
  const auto st = broker_.stats();
  // The bare $SYS/brokers topic lists the running nodes.
  publish("", broker_.node_name(), true);
  publish("version", EMQX_CPP_VERSION, true);
  publish("sysdescr", "emqx-cpp", true);
  // stats/<a>/<b> and metrics/<a>/<b>: EMQX's dotted names with '/' for '.'.
  for (const auto& m : emqx_metrics(st)) {
    std::string name = m.gauge ? "stats/" : "metrics/";
    for (const char c : m.name)
      name.push_back(c == '.' ? '/' : c);
    publish(name, std::to_string(m.value), false);
  }
  home_.request_flush();
}

std::string client_event_payload(const channel& ch, std::string_view event,
                                 std::uint64_t connected_at_ms, std::uint16_t keepalive) {
  const auto& c = ch.client();
  const auto colon = c.peer.rfind(':');
  nlohmann::json j{
      {"clientid", c.client_id},
      {"username", c.username ? nlohmann::json(*c.username) : nlohmann::json(nullptr)},
      {"ipaddress", colon == std::string::npos ? c.peer : c.peer.substr(0, colon)},
      {"protocol", "mqtt"},
      {"proto_name", c.version == mqtt::protocol_version::v3_1 ? "MQIsdp" : "MQTT"},
      {"proto_ver", static_cast<int>(c.version)},
      {"keepalive", keepalive},
      {"connected_at", connected_at_ms},
      {"ts", wall_clock_ms()},
  };
  if (event == "disconnected") j["disconnected_at"] = wall_clock_ms();
  return j.dump();
}

void channel::publish_client_event(const char* event) {
  const auto& sys = worker_.cfg().sys_topics;
  const std::string_view e(event);
  if ((e == "connected" && !sys.client_connected) ||
      (e == "disconnected" && !sys.client_disconnected))
    return;
  publish_sys_event(e, client_event_payload(*this, e, connected_at_ms_, keepalive_));
}

void channel::publish_subscription_event(bool subscribed, const std::string& raw_filter,
                                         const mqtt::subscription_options* opts) {
  const auto& sys = worker_.cfg().sys_topics;
  if (subscribed ? !sys.client_subscribed : !sys.client_unsubscribed) return;
  // EMQX's payload: who, the filter as the client wrote it, and for a subscription its
  // options.
  nlohmann::json j{
      {"clientid", client_.client_id},
      {"username", client_.username ? nlohmann::json(*client_.username) : nlohmann::json(nullptr)},
      {"protocol", "mqtt"},
      {"topic", raw_filter},
      {"ts", wall_clock_ms()},
  };
  if (opts != nullptr) {
    j["subopts"] = {{"qos", opts->qos},
                    {"nl", opts->no_local ? 1 : 0},
                    {"rap", opts->retain_as_published ? 1 : 0},
                    {"rh", opts->retain_handling}};
  }
  publish_sys_event(subscribed ? "subscribed" : "unsubscribed", j.dump());
}

void channel::publish_sys_event(std::string_view event, std::string payload) {
  auto msg = std::make_shared<message>();
  msg->topic = "$SYS/brokers/" + worker_.owner().node_name() + "/clients/" + client_.client_id +
               "/" + std::string(event);
  msg->payload = std::move(payload);
  msg->sys = true;
  worker_.stamp(*msg);
  worker_.publish(msg);
}

}  // namespace emqx_cpp::broker
