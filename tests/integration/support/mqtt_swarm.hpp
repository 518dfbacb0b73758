// SPDX-License-Identifier: Apache-2.0
//
// Many MQTT clients on one epoll loop, for tests that need load while something else
// happens (a plugin reloaded, a node restarted). Client i of the first half publishes
// numbered QoS 1 messages to "<prefix>/<i>"; client i of the second half subscribes to
// that topic. The swarm counts what was acknowledged, what arrived (duplicates
// removed) and every connection that ended, so a test can assert "no connection
// dropped, no acknowledged message lost".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace emqx_cpp::testing {

struct swarm_result {
  std::uint64_t published = 0;     // PUBLISH sent
  std::uint64_t acknowledged = 0;  // PUBACK received by publishers
  std::uint64_t received = 0;      // distinct messages received by subscribers
  std::uint64_t duplicates = 0;    // received again (allowed at QoS 1)
  std::uint64_t lost = 0;          // acknowledged but never received
  std::uint64_t disconnects = 0;   // connections that ended while running
  std::uint64_t connected = 0;     // connections that got CONNACK
};

class mqtt_swarm {
 public:
  // `pairs` publisher/subscriber pairs; each publisher sends `rate` messages per second
  // with at most `window` unacknowledged.
  mqtt_swarm(std::string host, int port, int pairs, std::string topic_prefix, int rate,
             int window = 4);
  ~mqtt_swarm();

  // Connects everybody and subscribes; returns false if not all made it in time.
  bool start(std::chrono::milliseconds within);
  // Stops publishing, waits up to `drain` for in-flight messages, and reports.
  swarm_result finish(std::chrono::milliseconds drain);

 private:
  struct impl;
  impl* impl_;
};

}  // namespace emqx_cpp::testing
