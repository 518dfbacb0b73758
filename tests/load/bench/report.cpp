// SPDX-License-Identifier: Apache-2.0
//
// Human and JSON output of emqx-cpp-bench. Rates are per second of the measured
// window; loss, duplicates and reordering cover the whole run including warm-up and
// drain, because a lost message is lost whenever it was sent.
#include "report.hpp"

#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

namespace emqx_bench {
namespace {

double per_s(std::uint64_t n, double s) {
  return s > 0 ? static_cast<double>(n) / s : 0;
}
double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}
double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// Deliveries when there are subscribers here, publishes otherwise.
std::uint64_t messages(const summary& s) {
  return s.subscribers ? s.received_window : s.sent_window;
}

}  // namespace

void print_human(const summary& s, std::ostream& out) {
  const options& o = *s.opts;
  std::ostringstream h;
  h << std::fixed << std::setprecision(1);
  h << "emqx-cpp-bench " << o.mode_name << " (" << o.scenario << "): ";
  if (o.run_mode == mode::conn) {
    h << s.connections << " connections";
  } else {
    h << s.publishers << " publishers on " << s.pub_topic << ", " << s.subscribers
      << " subscribers on " << s.sub_topic;
  }
  h << ", MQTT "
    << (o.version == 5   ? "5.0"
        : o.version == 4 ? "3.1.1"
                         : "3.1")
    << ", QoS " << o.qos << ", " << o.size << " B";
  if (o.rate > 0) h << ", " << o.rate << " msg/s";
  if (s.window) h << ", window " << s.window;
  if (o.qos) h << ", inflight " << o.inflight;
  h << ", " << o.threads << " thread" << (o.threads > 1 ? "s" : "") << "\n";
  h << "  connected " << s.totals.connect_ok << "/" << s.connections << " in "
    << std::setprecision(2) << s.connect_s << " s (" << std::setprecision(0)
    << per_s(s.totals.connect_ok, s.connect_s) << " conn/s)";
  if (s.totals.connect_failed) h << ", " << s.totals.connect_failed << " failed";
  h << "\n";
  for (const auto& [why, n] : s.totals.failures)
    h << "    " << n << " x " << why << "\n";
  if (o.run_mode != mode::conn) {
    h << std::setprecision(0);
    h << "  " << std::setprecision(2) << s.window_s << " s window: sent " << s.sent_window << " ("
      << std::setprecision(0) << per_s(s.sent_window, s.window_s) << " msg/s), received "
      << s.received_window << " (" << per_s(s.received_window, s.window_s) << " msg/s, "
      << std::setprecision(1) << per_s(s.received_window * o.size, s.window_s) / 1e6 << " MB/s)\n";
    if (s.latency.count()) {
      h << "  latency us: p50 " << us(s.latency.quantile(0.5)) << "  p90 "
        << us(s.latency.quantile(0.9)) << "  p99 " << us(s.latency.quantile(0.99)) << "  max "
        << us(s.latency.max()) << "  (" << s.latency.count() << " samples)\n";
    }
    h << "  whole run: sent " << s.sent << ", owed " << s.expected << ", received " << s.unique
      << " once; lost " << s.lost << " (" << s.publishers_with_loss << " publishers), duplicates "
      << s.duplicates << " (" << s.publishers_with_duplicates << "), reordered " << s.reordered
      << " (" << s.publishers_with_reordering << ")" << (s.drained ? "" : ", NOT drained") << "\n";
    for (const auto& f : s.findings)
      h << "    publisher " << f.id << ": owed " << f.owed << ", received " << f.unique << ", lost "
        << f.lost << ", duplicates " << f.duplicates << ", reordered " << f.reordered << "\n";
  } else if (s.broker_rss_kb && s.broker_rss_start_kb) {
    h << std::setprecision(2) << "  broker VmRSS " << *s.broker_rss_start_kb << " -> "
      << *s.broker_rss_kb << " KiB: "
      << (static_cast<double>(*s.broker_rss_kb) - static_cast<double>(*s.broker_rss_start_kb)) /
             static_cast<double>(std::max<std::uint64_t>(1, s.totals.connect_ok))
      << " KiB per connection\n";
  }
  const double wnd = s.window_s > 0 ? s.window_s : 1;
  h << std::setprecision(2) << "  tool CPU " << s.tool_cpu_s << " s (" << std::setprecision(0)
    << 100 * s.tool_cpu_s / wnd << " % of a core)";
  if (messages(s))
    h << std::setprecision(2) << ", " << 1e6 * s.tool_cpu_s / static_cast<double>(messages(s))
      << " us/msg";
  if (s.broker_cpu_s) {
    h << std::setprecision(2) << "; broker CPU " << *s.broker_cpu_s << " s ("
      << std::setprecision(0) << 100 * *s.broker_cpu_s / wnd << " %)";
    if (messages(s))
      h << std::setprecision(2) << ", " << 1e6 * *s.broker_cpu_s / static_cast<double>(messages(s))
        << " us/msg";
  }
  h << "\n";
  const auto& t = s.totals;
  if (t.lost_connections || t.protocol_errors || t.refused_publishes || t.unexpected_acks ||
      t.window_stalls || t.foreign_messages)
    h << "  errors: lost connections " << t.lost_connections << ", protocol " << t.protocol_errors
      << ", refused publishes " << t.refused_publishes << ", unexpected acks " << t.unexpected_acks
      << ", window stalls " << t.window_stalls << ", unstamped " << t.foreign_messages << "\n";
  out << h.str();
}

void print_json(const summary& s, std::ostream& out) {
  const options& o = *s.opts;
  nlohmann::ordered_json j;
  j["scenario"] = o.scenario;
  j["mode"] = o.mode_name;
  j["version"] = o.version;
  j["qos"] = o.qos;
  j["size"] = o.size;
  j["publishers"] = s.publishers;
  j["subscribers"] = s.subscribers;
  j["connections"] = s.connections;
  j["threads"] = o.threads;
  j["rate_target"] = o.rate;
  j["window"] = s.window;
  j["inflight"] = o.inflight;
  j["duration_s"] = round_to(s.window_s, 3);
  j["sent"] = s.sent_window;
  j["received"] = s.received_window;
  j["msg_per_s"] = round_to(per_s(messages(s), s.window_s), 1);
  j["sent_per_s"] = round_to(per_s(s.sent_window, s.window_s), 1);
  j["mb_per_s"] = round_to(per_s(s.received_window * o.size, s.window_s) / 1e6, 3);
  j["lat_p50_us"] = round_to(us(s.latency.quantile(0.5)), 1);
  j["lat_p90_us"] = round_to(us(s.latency.quantile(0.9)), 1);
  j["lat_p99_us"] = round_to(us(s.latency.quantile(0.99)), 1);
  j["lat_max_us"] = round_to(us(s.latency.max()), 1);
  j["lat_mean_us"] = round_to(s.latency.mean() / 1000.0, 1);
  j["lat_samples"] = s.latency.count();
  j["sent_total"] = s.sent;
  j["expected_total"] = s.expected;
  j["received_total"] = s.received;
  j["unique_total"] = s.unique;
  j["lost"] = s.lost;
  j["duplicates"] = s.duplicates;
  j["reordered"] = s.reordered;
  j["publishers_with_loss"] = s.publishers_with_loss;
  j["publishers_with_duplicates"] = s.publishers_with_duplicates;
  j["publishers_with_reordering"] = s.publishers_with_reordering;
  j["drained"] = s.drained;
  j["drain_s"] = round_to(s.drain_s, 3);
  j["inflight_at_end"] = s.inflight_at_end;
  j["connected"] = s.totals.connect_ok;
  j["connect_failed"] = s.totals.connect_failed;
  j["connect_s"] = round_to(s.connect_s, 3);
  j["conn_per_s"] = round_to(per_s(s.totals.connect_ok, s.connect_s), 1);
  j["lost_connections"] = s.totals.lost_connections;
  j["protocol_errors"] = s.totals.protocol_errors;
  j["refused_publishes"] = s.totals.refused_publishes;
  j["unexpected_acks"] = s.totals.unexpected_acks;
  j["window_stalls"] = s.totals.window_stalls;
  // Whole run, per message received (or sent, without subscribers here).
  const auto whole = static_cast<double>(s.subscribers ? s.received : s.sent);
  auto per_msg = [&](std::uint64_t n) {
    return whole > 0 ? round_to(static_cast<double>(n) / whole, 3) : 0.0;
  };
  j["tool_sends_per_msg"] = per_msg(s.totals.sends);
  j["tool_recvs_per_msg"] = per_msg(s.totals.recvs);
  j["tool_epoll_waits_per_msg"] = per_msg(s.totals.epoll_waits);
  const double wnd = s.window_s > 0 ? s.window_s : 1;
  const auto msgs = static_cast<double>(messages(s));
  j["tool_cpu_s"] = round_to(s.tool_cpu_s, 3);
  j["tool_cpu_total_s"] = round_to(s.tool_cpu_total_s, 3);
  j["tool_cpu_pct"] = round_to(100 * s.tool_cpu_s / wnd, 1);
  j["tool_cpu_us_per_msg"] = msgs > 0 ? round_to(1e6 * s.tool_cpu_s / msgs, 3) : 0.0;
  if (s.broker_cpu_s) {
    j["broker_cpu_s"] = round_to(*s.broker_cpu_s, 3);
    j["broker_cpu_pct"] = round_to(100 * *s.broker_cpu_s / wnd, 1);
    j["broker_cpu_us_per_msg"] = msgs > 0 ? round_to(1e6 * *s.broker_cpu_s / msgs, 3) : 0.0;
  }
  if (s.broker_cpu_total_s) j["broker_cpu_total_s"] = round_to(*s.broker_cpu_total_s, 3);
  if (s.broker_rss_start_kb) j["broker_rss_start_kb"] = *s.broker_rss_start_kb;
  if (s.broker_rss_kb) j["broker_rss_kb"] = *s.broker_rss_kb;
  if (s.broker_peak_rss_kb)
    j["broker_peak_rss_mb"] = round_to(static_cast<double>(*s.broker_peak_rss_kb) / 1024.0, 1);
  if (o.run_mode == mode::conn && s.broker_rss_kb && s.broker_rss_start_kb && s.totals.connect_ok)
    j["broker_kb_per_conn"] = round_to(
        (static_cast<double>(*s.broker_rss_kb) - static_cast<double>(*s.broker_rss_start_kb)) /
            static_cast<double>(s.totals.connect_ok),
        3);
  out << j.dump() << "\n";
}

}  // namespace emqx_bench
