// SPDX-License-Identifier: Apache-2.0
//
// The command line of emqx-cpp-bench, modelled on emqtt-bench's so that scenarios read
// alike: a mode (conn, pub, sub, pair, fanin, fanout) and the knobs of a run. Parsing
// only; what a mode means is decided in scenario.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emqx_bench {

enum class mode { conn, pub, sub, pair, fanin, fanout };

struct options {
  mode run_mode = mode::pair;
  std::string mode_name = "pair";
  std::string scenario;  // label for the report; the mode name when empty
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  int version = 4;  // 3, 4 (3.1.1) or 5
  int qos = 0;
  std::size_t size = 64;
  std::uint32_t clients = 0;      // 0: the mode's default
  std::uint32_t subscribers = 0;  // fanin/fanout: 0 means the mode's default
  std::string topic;              // publish topic; %i is the client's index
  std::string sub_topic;          // subscription filter; derived from topic when empty
  double rate = 0;                // total messages per second over all publishers; 0: max
  std::uint32_t window = 0;       // per publisher, messages not yet received; 0: default
  bool open_loop = false;         // no window: publishers bounded only by --inflight
  std::uint32_t inflight = 32;    // per publisher, unacknowledged QoS 1/2 PUBLISH
  double duration = 10;           // measured seconds (conn: idle seconds)
  double warmup = 2;              // seconds of traffic before the measurement starts
  double drain = 5;               // most seconds to wait for messages in flight at the end
  int batch_us = -1;              // shortest loop iteration at max rate; -1: default
  int tick_us = 0;                // --rate: pacing tick; 0: derived from the rate
  unsigned threads = 1;
  std::uint16_t keepalive = 300;
  std::uint32_t conn_pending = 100;  // connection handshakes in progress at once
  std::uint32_t id_base = 0;         // publisher ids start here (pub/sub across processes)
  std::string prefix;                // client id prefix; "bench-<pid>" when empty
  std::vector<std::string> ifaddrs;  // source addresses; automatic on loopback when empty
  int broker_pid = 0;                // sample this process's CPU and VmRSS (same machine)
  bool json_only = false;
  bool quiet = false;
};

// Parses argv; on a usage error or --help prints to stderr and returns nullopt with
// `exit_code` set (0 for --help).
std::optional<options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace emqx_bench
