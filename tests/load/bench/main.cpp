// SPDX-License-Identifier: Apache-2.0
//
// emqx-cpp-bench: an MQTT load generator in the spirit of emqtt-bench, cheap enough per
// message that it is not the bottleneck when it shares two cores with the broker. The
// main thread plans the connections, starts one event loop per --threads, and then
// only coordinates: it opens the measured window after every connection is up, samples
// the tool's and the broker's CPU at the window's edges, waits for the messages still
// in flight, and prints the summary and one JSON line.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <thread>

#include "options.hpp"
#include "payload.hpp"
#include "proc_sample.hpp"
#include "report.hpp"
#include "run_state.hpp"
#include "scenario.hpp"
#include "worker.hpp"

using namespace emqx_bench;

namespace {

std::atomic<bool> interrupted{false};

void on_signal(int) {
  interrupted.store(true);
}

// Sleeps until the monotonic time `until` (ns), waking early on Ctrl-C.
void sleep_until_ns(std::uint64_t until) {
  while (!interrupted.load()) {
    const std::uint64_t now = now_ns();
    if (now >= until) return;
    std::this_thread::sleep_for(
        std::chrono::nanoseconds(std::min<std::uint64_t>(until - now, 50'000'000)));
  }
}

// Every descriptor the hard limit allows; the soft limit is often lower.
std::size_t raise_fd_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<std::size_t>(rl.rlim_cur);
}

bool resolve(const std::string& host, std::uint16_t port, sockaddr_in& out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  out = *reinterpret_cast<sockaddr_in*>(res->ai_addr);
  out.sin_port = htons(port);
  freeaddrinfo(res);
  return true;
}

struct snapshot {
  std::uint64_t at = 0;
  std::uint64_t sent = 0, expected = 0, received = 0, unique = 0, inflight = 0, open = 0;
  double tool_cpu = 0;
  std::optional<double> broker_cpu;
};

snapshot take(const run_state& rs, int broker_pid) {
  snapshot s;
  s.at = now_ns();
  for (const auto& c : rs.counters) {
    s.sent += c.sent.load(std::memory_order_relaxed);
    s.expected += c.expected.load(std::memory_order_relaxed);
    s.received += c.received.load(std::memory_order_relaxed);
    s.unique += c.unique.load(std::memory_order_relaxed);
    s.inflight += c.inflight.load(std::memory_order_relaxed);
    s.open += c.open.load(std::memory_order_relaxed);
  }
  s.tool_cpu = self_cpu_s();
  if (broker_pid > 0) s.broker_cpu = process_cpu_s(broker_pid);
  return s;
}

void progress(const options& o, const std::string& line) {
  if (!o.quiet && !o.json_only) std::cerr << "[" << o.scenario << "] " << line << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto parsed = parse_options(argc, argv, exit_code);
  if (!parsed) return exit_code;
  const options o = *parsed;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  // Every worker needs an epoll, an eventfd and maybe a timerfd; keep a margin for
  // stdio and the /proc files we read.
  const std::size_t fd_limit = raise_fd_limit();
  const std::size_t reserve = 16 + 3 * o.threads;
  scenario_plan plan;
  if (auto err = plan_scenario(o, fd_limit > reserve ? fd_limit - reserve : 0, plan);
      !err.empty()) {
    std::cerr << "emqx-cpp-bench: " << err << "\n";
    return 2;
  }
  sockaddr_in broker{};
  if (!resolve(o.host, o.port, broker)) {
    std::cerr << "emqx-cpp-bench: cannot resolve " << o.host << "\n";
    return 2;
  }

  run_state rs(o);
  rs.plans = std::move(plan.clients);
  rs.credit = std::vector<publisher_credit>(plan.publishers);
  rs.credit_owner.assign(plan.publishers, 0);
  rs.counters = std::vector<thread_counters>(o.threads);
  for (unsigned t = 0; t < o.threads; ++t)
    rs.wake_fds.push_back(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));

  std::vector<std::unique_ptr<worker>> workers;
  for (unsigned t = 0; t < o.threads; ++t)
    workers.push_back(std::make_unique<worker>(rs, t, broker));
  for (const auto& p : rs.plans) {
    workers[p.thread]->add(p);
    if (p.what == role::publisher) rs.credit_owner[p.index] = p.thread;
  }

  summary sum;
  sum.opts = &o;
  sum.publishers = plan.publishers;
  sum.subscribers = plan.subscribers;
  sum.connections = static_cast<std::uint32_t>(rs.plans.size());
  sum.window = o.window ? o.window : (o.rate > 0 || o.open_loop ? 0 : 100);
  if (!plan.publishers || !plan.subscribers) sum.window = 0;
  sum.pub_topic = plan.pub_topic;
  sum.sub_topic = plan.sub_topic;
  if (o.broker_pid > 0) sum.broker_rss_start_kb = process_rss_kb(o.broker_pid);
  const double tool_cpu_start = self_cpu_s();
  const std::optional<double> broker_cpu_start =
      o.broker_pid > 0 ? process_cpu_s(o.broker_pid) : std::nullopt;

  progress(o, "connecting " + std::to_string(rs.plans.size()) + " clients");
  std::vector<std::thread> threads;
  threads.reserve(workers.size());
  for (auto& w : workers)
    threads.emplace_back([&w] { w->run(); });

  // Connect phase: until every worker has settled every connection.
  for (;;) {
    bool all = true;
    for (const auto& c : rs.counters)
      all = all && c.connect_done.load(std::memory_order_acquire);
    if (all || interrupted.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::uint64_t first = ~0ULL, last = 0;
  for (const auto& w : workers) {
    if (w->totals().first_connect_ns) first = std::min(first, w->totals().first_connect_ns);
    last = std::max(last, w->totals().last_handshake_ns);
  }
  sum.connect_s = last > first ? static_cast<double>(last - first) / 1e9 : 0;
  progress(o, "connected in " + std::to_string(sum.connect_s) + " s");

  const auto secs = [](double s) { return static_cast<std::uint64_t>(s * 1e9); };
  snapshot a, b;
  if (o.run_mode == mode::conn) {
    // Let the broker finish whatever it does after CONNACK before its memory is read.
    const std::uint64_t idle_start = now_ns();
    rs.start_ns = rs.warm_end_ns = idle_start;
    rs.meas_end_ns = idle_start + secs(o.duration);
    rs.current.store(phase::run, std::memory_order_release);
    a = take(rs, o.broker_pid);
    sleep_until_ns(idle_start + secs(o.duration));
    b = take(rs, o.broker_pid);
    if (o.broker_pid > 0) sum.broker_rss_kb = process_rss_kb(o.broker_pid);
    if (o.broker_pid > 0) sum.broker_peak_rss_kb = process_peak_rss_kb(o.broker_pid);
  } else {
    const std::uint64_t start = now_ns() + 20'000'000;
    rs.start_ns.store(start);
    rs.warm_end_ns.store(start + secs(o.warmup));
    rs.meas_end_ns.store(start + secs(o.warmup) + secs(o.duration));
    rs.current.store(phase::run, std::memory_order_release);
    progress(o, "running");
    sleep_until_ns(rs.warm_end_ns.load());
    a = take(rs, o.broker_pid);
    sleep_until_ns(rs.meas_end_ns.load());
    b = take(rs, o.broker_pid);
    rs.current.store(phase::drain, std::memory_order_release);
    // Drain: wait for every delivery owed to our subscribers and every ack.
    const std::uint64_t give_up = b.at + secs(o.drain);
    snapshot d = b;
    for (;;) {
      d = take(rs, -1);
      const bool done = d.unique >= d.expected && d.inflight == 0;
      if (done) break;
      if (d.at >= give_up || interrupted.load() || d.open == 0) {
        sum.drained = false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    sum.drain_s = static_cast<double>(d.at - b.at) / 1e9;
    sum.inflight_at_end = d.inflight;
    if (o.broker_pid > 0) sum.broker_rss_kb = process_rss_kb(o.broker_pid);
    if (o.broker_pid > 0) sum.broker_peak_rss_kb = process_peak_rss_kb(o.broker_pid);
  }
  rs.current.store(phase::stop, std::memory_order_release);
  for (auto& t : threads)
    t.join();
  for (int fd : rs.wake_fds)
    close(fd);

  sum.window_s = static_cast<double>(b.at - a.at) / 1e9;
  sum.sent_window = b.sent - a.sent;
  sum.received_window = b.received - a.received;
  sum.tool_cpu_s = b.tool_cpu - a.tool_cpu;
  sum.tool_cpu_total_s = self_cpu_s() - tool_cpu_start;
  if (a.broker_cpu && b.broker_cpu) sum.broker_cpu_s = *b.broker_cpu - *a.broker_cpu;
  if (broker_cpu_start && o.broker_pid > 0) {
    if (auto end = process_cpu_s(o.broker_pid)) sum.broker_cpu_total_s = *end - *broker_cpu_start;
  }

  // Per publisher: what it sent times its in-process subscribers, against what those
  // subscribers saw once.
  struct per_pub {
    std::uint64_t owed = 0, unique = 0, dups = 0, reordered = 0, missing = 0;
    bool local = false;
  };
  std::map<std::uint32_t, per_pub> pubs;
  for (const auto& w : workers) {
    sum.latency.merge(w->latency());
    const auto& t = w->totals();
    sum.totals.connect_ok += t.connect_ok;
    sum.totals.connect_failed += t.connect_failed;
    sum.totals.lost_connections += t.lost_connections;
    sum.totals.protocol_errors += t.protocol_errors;
    sum.totals.foreign_messages += t.foreign_messages;
    sum.totals.refused_publishes += t.refused_publishes;
    sum.totals.unexpected_acks += t.unexpected_acks;
    sum.totals.window_stalls += t.window_stalls;
    sum.totals.bytes_received += t.bytes_received;
    sum.totals.sends += t.sends;
    sum.totals.recvs += t.recvs;
    sum.totals.epoll_waits += t.epoll_waits;
    for (const auto& [why, n] : t.failures)
      sum.totals.failures[why] += n;
    for (const auto& c : w->connections()) {
      const auto& p = c->plan();
      if (p.what == role::publisher) {
        auto& pp = pubs[o.id_base + p.index];
        pp.owed += c->sent() * p.fanout;
        pp.local = true;
        sum.sent += c->sent();
      }
      for (const auto& [id, tr] : c->trackers()) {
        auto& pp = pubs[id];
        pp.unique += tr.unique();
        pp.dups += tr.duplicates();
        pp.reordered += tr.reordered();
        pp.missing += tr.missing();
        sum.received += tr.unique() + tr.duplicates();
      }
    }
  }
  for (const auto& [id, pp] : pubs) {
    const std::uint64_t lost =
        pp.local ? (pp.owed > pp.unique ? pp.owed - pp.unique : 0) : pp.missing;
    sum.expected += pp.owed;
    sum.unique += pp.unique;
    sum.lost += lost;
    sum.duplicates += pp.dups;
    sum.reordered += pp.reordered;
    sum.publishers_with_loss += lost > 0;
    sum.publishers_with_duplicates += pp.dups > 0;
    sum.publishers_with_reordering += pp.reordered > 0;
    if (lost || pp.dups || pp.reordered)
      sum.findings.push_back({id, pp.owed, pp.unique, lost, pp.dups, pp.reordered});
  }
  std::sort(sum.findings.begin(), sum.findings.end(), [](const auto& x, const auto& y) {
    return x.lost + x.duplicates + x.reordered > y.lost + y.duplicates + y.reordered;
  });
  if (sum.findings.size() > 8) sum.findings.resize(8);

  if (!o.json_only) print_human(sum, std::cout);
  print_json(sum, std::cout);
  return interrupted.load() ? 130 : 0;
}
