// SPDX-License-Identifier: Apache-2.0
//
// What the event-loop threads and the coordinating main thread share during a run: the
// plan of every connection, the phase and its deadlines, the window credit of each
// publisher, and counters each thread publishes once per loop iteration so the main
// thread can take snapshots at the edges of the measured window without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace emqx_bench {

enum class role : std::uint8_t { idle, publisher, subscriber };

struct client_plan {
  role what = role::idle;
  std::uint32_t index = 0;  // publishers: index into run_state::credit
  std::string client_id;
  std::string topic;         // publish topic or subscription filter
  std::uint32_t fanout = 0;  // publishers: subscribers in this process that match
  std::string source_addr;   // empty: chosen by the kernel
  unsigned thread = 0;       // the worker that owns it
};

enum class phase : int { connect, run, drain, stop };

// Deliveries of one publisher's messages that in-process subscribers have settled
// (received, or known lost because a later one arrived). A cache line each: the
// subscriber's thread writes it, the publisher's thread reads it.
struct alignas(64) publisher_credit {
  std::atomic<std::uint64_t> settled{0};
};

// Published by a worker at the end of every loop iteration (relaxed; a snapshot may be
// one iteration old, which is microseconds).
struct alignas(64) thread_counters {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> expected{0};  // sum over its publishers of sent * fanout
  std::atomic<std::uint64_t> received{0};  // every PUBLISH a subscriber got
  std::atomic<std::uint64_t> unique{0};    // first arrivals only
  std::atomic<std::uint64_t> inflight{0};  // unacknowledged QoS 1/2 publishes
  std::atomic<std::uint64_t> open{0};      // connections that completed the handshake
  std::atomic<bool> connect_done{false};   // every connection attempted and settled
  std::atomic<bool> finished{false};
  std::atomic<bool> waiting_credit{false};  // asleep with a publisher out of window
};

struct run_state {
  explicit run_state(const options& o) : opts(o) {}
  const options& opts;
  std::vector<client_plan> plans;
  std::vector<publisher_credit> credit;     // one per publisher in this process
  std::vector<std::uint32_t> credit_owner;  // worker thread of each publisher
  std::vector<thread_counters> counters;
  std::vector<int> wake_fds;  // eventfd of each worker, to hand over credit

  std::atomic<phase> current{phase::connect};
  std::atomic<std::uint64_t> start_ns{0};     // publishing starts
  std::atomic<std::uint64_t> warm_end_ns{0};  // measurement starts
  std::atomic<std::uint64_t> meas_end_ns{0};  // measurement and publishing stop
};

}  // namespace emqx_bench
