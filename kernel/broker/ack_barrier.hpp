// SPDX-License-Identifier: Apache-2.0
//
// A publisher's PUBACK or PUBREC held until the session stores have kept the message
// for every persistent session it was appended to. It counts what is still open: one
// for the publisher's own hold (released once the message is dispatched), and one per
// delivery dispatched, resolved by the worker that delivers it, at once when the
// session keeps nothing, or when the store confirms the batch holding the append. The
// last resolve sends the acknowledgement home to the publisher's worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace emqx_cpp::broker {

struct ack_barrier {
  // `release` runs once, on the thread of the last resolve; it posts to the publisher's
  // worker.
  explicit ack_barrier(std::function<void()> release) : release_(std::move(release)) {}

  void hold() { pending_.fetch_add(1, std::memory_order_relaxed); }
  void resolve() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) release_();
  }

 private:
  std::atomic<int> pending_{1};  // the publisher's own hold
  std::function<void()> release_;
};

}  // namespace emqx_cpp::broker
