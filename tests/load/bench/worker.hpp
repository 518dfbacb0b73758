// SPDX-License-Identifier: Apache-2.0
//
// One event-loop thread of the bench tool: an epoll instance over its slice of the
// connections, the publishing schedule (as fast as the window allows, or a fixed rate
// paced by a timerfd), one flush per connection per loop iteration, and the counters
// the main thread samples. Connections call back into their worker for everything
// that is counted or shared.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "histogram.hpp"
#include "payload.hpp"
#include "run_state.hpp"

namespace emqx_bench {

struct worker_totals {
  std::uint64_t connect_ok = 0;
  std::uint64_t connect_failed = 0;
  std::uint64_t first_connect_ns = 0;
  std::uint64_t last_handshake_ns = 0;
  std::uint64_t lost_connections = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t foreign_messages = 0;  // PUBLISH without a bench stamp
  std::uint64_t refused_publishes = 0;
  std::uint64_t unexpected_acks = 0;
  std::uint64_t window_stalls = 0;
  std::uint64_t bytes_received = 0;  // payload bytes
  // System calls, the tool's main cost: per message they show how well it batches.
  std::uint64_t sends = 0;
  std::uint64_t recvs = 0;
  std::uint64_t epoll_waits = 0;
  std::map<std::string, std::uint64_t> failures;  // reason -> connections
};

class worker {
 public:
  worker(run_state& shared, unsigned id, const sockaddr_in& broker);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void add(const client_plan& plan);
  void run();  // the thread's body; returns after the stop phase

  const histogram& latency() const { return latency_; }
  const worker_totals& totals() const { return totals_; }
  const std::vector<std::unique_ptr<connection>>& connections() const { return conns_; }

  // For connections.
  const options& opts() const { return shared_.opts; }
  run_state& shared() { return shared_; }
  std::uint32_t window() const { return window_; }
  std::uint32_t publisher_id(std::uint32_t index) const { return shared_.opts.id_base + index; }
  bool is_local_publisher(std::uint32_t id) const {
    return id >= shared_.opts.id_base && id - shared_.opts.id_base < shared_.credit.size();
  }
  void watch(connection& c, std::uint32_t events);
  void mark_dirty(connection& c) { dirty_.push_back(&c); }
  void handshake_done(connection& c, bool ok, std::uint64_t now);
  void lost_connection(connection& c);
  void delivered(const stamp& s, std::uint64_t settled, bool first, std::size_t payload,
                 std::uint64_t now) {
    ++received_;
    totals_.bytes_received += payload;
    if (first) ++unique_;
    if (settled && is_local_publisher(s.publisher)) {
      const std::uint32_t idx = s.publisher - shared_.opts.id_base;
      shared_.credit[idx].settled.fetch_add(settled, std::memory_order_relaxed);
      const std::uint32_t owner = shared_.credit_owner[idx];
      if (owner != id_) wake_[owner] = 1;
    }
    if (s.sent_ns >= warm_end_ns_ && s.sent_ns < meas_end_ns_)
      latency_.record(now > s.sent_ns ? now - s.sent_ns : 0);
  }
  void published(std::uint32_t n, std::uint64_t expected, std::uint32_t inflight) {
    sent_ += n;
    expected_ += expected;
    inflight_ += inflight;
  }
  void acked() { --inflight_; }
  void count_send() { ++totals_.sends; }
  void count_recv() { ++totals_.recvs; }
  void protocol_error() { ++totals_.protocol_errors; }
  void foreign_message() { ++totals_.foreign_messages; }
  void refused_publish() { ++totals_.refused_publishes; }
  void unexpected_ack() { ++totals_.unexpected_acks; }

 private:
  void start_connects(std::uint64_t now);
  // Appends what the schedule allows; returns true when more could go at once.
  bool produce(std::uint64_t now);
  bool produce_max(std::uint64_t now);
  void produce_rate(std::uint64_t now);
  void flush_dirty();
  void housekeeping(std::uint64_t now);
  void publish_counters();
  void wake_publishers();
  void shutdown();

  run_state& shared_;
  const unsigned id_;
  const sockaddr_in broker_;
  std::uint32_t window_ = 0;
  std::uint64_t batch_ns_ = 0;  // shortest iteration while publishing at max rate
  int epfd_ = -1;
  int timer_fd_ = -1;
  int wake_fd_ = -1;
  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<connection*> publishers_;
  std::vector<connection*> dirty_;
  std::vector<char> wake_;  // per worker: it has a publisher we gave credit to
  std::size_t next_connect_ = 0;
  std::uint32_t pending_ = 0;
  bool connect_done_ = false;

  // Schedule.
  double rate_ = 0;  // this thread's share, messages per second
  std::uint64_t scheduled_ = 0;
  std::size_t rr_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t warm_end_ns_ = ~0ULL;
  std::uint64_t meas_end_ns_ = 0;
  std::uint64_t next_housekeeping_ns_ = 0;
  std::uint64_t next_keepalive_ns_ = 0;

  // Counters published to shared_.counters[id_].
  std::uint64_t sent_ = 0;
  std::uint64_t expected_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t inflight_ = 0;
  std::uint64_t open_ = 0;

  histogram latency_;
  worker_totals totals_;
};

}  // namespace emqx_bench
