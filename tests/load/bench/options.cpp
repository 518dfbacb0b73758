// SPDX-License-Identifier: Apache-2.0
//
// Command-line parsing for emqx-cpp-bench: long options with a value, a few flags, and
// a usage text that doubles as the reference for scripts/bench.
#include "options.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string_view>

namespace emqx_bench {
namespace {

constexpr const char* usage_text = R"(usage: emqx-cpp-bench MODE [options]

modes:
  conn     open --clients connections, keep them idle for --duration seconds
  pub      --clients publishers on --topic (default bench/%i)
  sub      --clients subscribers on --topic (default bench/#)
  pair     --clients publishers and as many subscribers, one topic per pair (t/%i)
  fanin    --clients publishers on t/%i, --subscribers (default 1) on t/#
  fanout   --clients publishers (default 1) on t/all, --subscribers (default 100) on it

options:
  --host H            broker address (127.0.0.1)
  --port P            broker port (1883)
  --version 3|4|5     MQTT 3.1, 3.1.1 or 5.0 (4)
  --qos 0|1|2         publish and subscription QoS (0)
  --size BYTES        payload size, at least 20 (64)
  --clients N         publishers, subscribers or connections, by mode
  --subscribers N     subscribers in fanin/fanout
  --topic T           publish topic (sub mode: the filter); %i is the client index
  --sub-topic F       subscription filter when it differs from the derived one
  --rate R            total messages per second over all publishers (0: as fast as the
                      window allows)
  --window N          per publisher, messages sent but not yet received by every
                      subscriber in this process (default 100 at max rate, none at a rate)
  --open-loop         no window: at QoS 1/2 publishers are bounded only by --inflight
                      (as devices are: they do not wait for delivery), at QoS 0 only by
                      the socket; loss and queue growth show instead of being hidden
  --inflight N        per publisher, unacknowledged QoS 1/2 messages (32)
  --duration S        measured seconds, or idle seconds in conn mode (10)
  --warmup S          seconds of traffic before the measurement (2)
  --drain S           most seconds to wait for messages still in flight (5)
  --tick-us N         with --rate, send what is due every N us (default: about two
                      messages per tick, between 100 us and 10 ms)
  --batch-us N        at max rate, each loop iteration lasts at least N us, so every
                      read and write carries many messages (100; 0: react at once)
  --threads N         event loops, each with a slice of the connections (1)
  --keepalive S       MQTT keep alive (300)
  --conn-pending N    connection handshakes in progress at once (100)
  --id-base N         first publisher id, to tell publishers of several processes apart
  --prefix P          client id prefix (bench-<pid>)
  --ifaddr A,B,...    source addresses to spread connections over
  --broker-pid PID    sample that process's CPU time and VmRSS during the run
  --scenario NAME     label in the JSON line (the mode by default)
  --json              print only the JSON line
  --quiet             no progress lines
)";

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    char* end = nullptr;
    const std::string copy(s);
    out = static_cast<T>(std::strtod(copy.c_str(), &end));
    return end && *end == '\0' && !copy.empty();
  } else {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace

std::optional<options> parse_options(int argc, char** argv, int& exit_code) {
  options o;
  exit_code = 2;
  auto fail = [&](const std::string& why) -> std::optional<options> {
    std::cerr << "emqx-cpp-bench: " << why << "\n\n" << usage_text;
    return std::nullopt;
  };
  if (argc < 2) return fail("missing mode");
  const std::string_view m = argv[1];
  if (m == "-h" || m == "--help") {
    std::cout << usage_text;
    exit_code = 0;
    return std::nullopt;
  }
  static const std::pair<const char*, mode> modes[] = {
      {"conn", mode::conn}, {"pub", mode::pub},     {"sub", mode::sub},
      {"pair", mode::pair}, {"fanin", mode::fanin}, {"fanout", mode::fanout}};
  bool known = false;
  for (const auto& [name, value] : modes) {
    if (m == name) {
      o.run_mode = value;
      o.mode_name = name;
      known = true;
    }
  }
  if (!known) return fail("unknown mode '" + std::string(m) + "'");

  for (int i = 2; i < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "--json") {
      o.json_only = true;
      continue;
    }
    if (opt == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (opt == "--open-loop") {
      o.open_loop = true;
      continue;
    }
    if (opt == "-h" || opt == "--help") {
      std::cout << usage_text;
      exit_code = 0;
      return std::nullopt;
    }
    if (i + 1 >= argc) return fail("option " + std::string(opt) + " needs a value");
    const std::string_view v = argv[++i];
    bool ok = true;
    if (opt == "--host") {
      o.host = v;
    } else if (opt == "--port") {
      ok = parse_number(v, o.port);
    } else if (opt == "--version") {
      ok = parse_number(v, o.version) && o.version >= 3 && o.version <= 5;
    } else if (opt == "--qos") {
      ok = parse_number(v, o.qos) && o.qos >= 0 && o.qos <= 2;
    } else if (opt == "--size") {
      ok = parse_number(v, o.size);
    } else if (opt == "--clients") {
      ok = parse_number(v, o.clients);
    } else if (opt == "--subscribers") {
      ok = parse_number(v, o.subscribers);
    } else if (opt == "--topic") {
      o.topic = v;
    } else if (opt == "--sub-topic") {
      o.sub_topic = v;
    } else if (opt == "--rate") {
      ok = parse_number(v, o.rate) && o.rate >= 0;
    } else if (opt == "--window") {
      ok = parse_number(v, o.window);
    } else if (opt == "--inflight") {
      ok = parse_number(v, o.inflight) && o.inflight >= 1 && o.inflight <= 65535;
    } else if (opt == "--duration") {
      ok = parse_number(v, o.duration) && o.duration >= 0;
    } else if (opt == "--warmup") {
      ok = parse_number(v, o.warmup) && o.warmup >= 0;
    } else if (opt == "--drain") {
      ok = parse_number(v, o.drain) && o.drain >= 0;
    } else if (opt == "--tick-us") {
      ok = parse_number(v, o.tick_us) && o.tick_us >= 10 && o.tick_us <= 1000000;
    } else if (opt == "--batch-us") {
      ok = parse_number(v, o.batch_us) && o.batch_us >= 0 && o.batch_us <= 100000;
    } else if (opt == "--threads") {
      ok = parse_number(v, o.threads) && o.threads >= 1 && o.threads <= 64;
    } else if (opt == "--keepalive") {
      ok = parse_number(v, o.keepalive);
    } else if (opt == "--conn-pending") {
      ok = parse_number(v, o.conn_pending) && o.conn_pending >= 1;
    } else if (opt == "--id-base") {
      ok = parse_number(v, o.id_base);
    } else if (opt == "--prefix") {
      o.prefix = v;
    } else if (opt == "--ifaddr") {
      o.ifaddrs = split(v, ',');
    } else if (opt == "--broker-pid") {
      ok = parse_number(v, o.broker_pid);
    } else if (opt == "--scenario") {
      o.scenario = v;
    } else {
      return fail("unknown option " + std::string(opt));
    }
    if (!ok) return fail("bad value '" + std::string(v) + "' for " + std::string(opt));
  }
  if (o.size < 20) return fail("--size must be at least 20 (the payload carries a stamp)");
  if (o.size > 256 * 1024 * 1024 - 1024) return fail("--size is beyond MQTT's packet limit");
  if (o.open_loop && o.window != 0) return fail("--open-loop and --window exclude each other");
  if (o.scenario.empty()) o.scenario = o.mode_name;
  exit_code = 0;
  return o;
}

}  // namespace emqx_bench
