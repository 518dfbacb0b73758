// SPDX-License-Identifier: Apache-2.0
//
// $SYS topics as EMQX publishes them (sys_topics.sys_msg_interval and
// sys_heartbeat_interval): version, sysdescr and the node list (retained), uptime and
// datetime, every stats/<name> and metrics/<name>, and the client connected /
// disconnected / subscribed / unsubscribed event messages. Runs on worker 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/executor.hpp"

namespace emqx_cpp::broker {

class broker;
class worker;
class channel;

class sys_publisher {
 public:
  sys_publisher(broker& b, worker& home);
  ~sys_publisher() = default;

  // Arms the timers; call on the home worker's thread.
  void start();
  void stop();

  // One tick of each kind, also used by tests through short intervals.
  void publish_heartbeat();
  void publish_tick();

 private:
  void publish(const std::string& name, std::string payload, bool retain);
  void arm_heartbeat();
  void arm_tick();

  broker& broker_;
  worker& home_;
  runtime::timer_id heartbeat_timer_ = 0;
  runtime::timer_id tick_timer_ = 0;
};

// The JSON payload of $SYS/brokers/<node>/clients/<id>/connected|disconnected.
std::string client_event_payload(const channel& ch, std::string_view event,
                                 std::uint64_t connected_at_ms, std::uint16_t keepalive);

}  // namespace emqx_cpp::broker
