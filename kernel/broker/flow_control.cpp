// SPDX-License-Identifier: Apache-2.0
#include "broker/flow_control.hpp"

#include <algorithm>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

flow_control::flow_control(worker& w) : worker_(w) {}

flow_control::~flow_control() {
  worker_.loop().cancel(check_timer_);
}

void flow_control::online(session& s) {
  s.set_queue_elastic(true);
}

bool flow_control::over_high(const session& s) const {
  const auto& fc = worker_.cfg().flow_control;
  return s.queue_length() >= fc.queue_high_watermark ||
         s.queued_bytes() >= fc.queue_high_watermark_bytes;
}

bool flow_control::over_low(const session& s) const {
  const auto& fc = worker_.cfg().flow_control;
  return s.queue_length() > fc.queue_high_watermark / 2 ||
         s.queued_bytes() > fc.queue_high_watermark_bytes / 2;
}

void flow_control::congest(session& s, publisher_ref from) {
  auto [it, entered] = congested_.try_emplace(s.id());
  congestion& c = it->second;
  if (entered) {
    s.congested = true;
    c.since = std::chrono::steady_clock::now();
    worker_.log().debug("flow_control_hold client={} queued={} bytes={}", s.client_id(),
                        s.queue_length(), s.queued_bytes());
    arm_check();
  }
  if (c.slow || from.channel == 0) return;
  if (std::find(c.held.begin(), c.held.end(), from) != c.held.end()) return;
  c.held.push_back(from);
  hold(from, +1);
}

bool flow_control::over_connection_limits(session& s, channel& ch) {
  const auto& fs = worker_.cfg().force_shutdown;
  const char* reason = nullptr;
  if (s.queue_length() > fs.max_mailbox_size) {
    reason = "mailbox_overflow";
  } else if (s.queued_bytes() + ch.pending_output() > fs.max_heap_size) {
    reason = "proc_heap_too_large";
  }
  if (reason == nullptr) return false;
  worker_.log().warn("force_shutdown client={} reason={} queued={} bytes={} output={}",
                     s.client_id(), reason, s.queue_length(), s.queued_bytes(),
                     ch.pending_output());
  ch.kick(mqtt::reason_code::quota_exceeded, true);
  return true;
}

void flow_control::relieve(session& s) {
  // A slow subscriber that caught up is treated like any other again.
  s.set_queue_elastic(true);
  forget(s);
}

void flow_control::offline(session& s) {
  s.set_queue_elastic(false);
  s.trim_queue(worker_.delivery_counts());
  if (s.congested) forget(s);
}

void flow_control::forget(session& s) {
  s.congested = false;
  auto it = congested_.find(s.id());
  if (it == congested_.end()) return;
  release_all(it->second);
  congested_.erase(it);
}

void flow_control::release_all(congestion& c) {
  for (const auto& p : c.held)
    hold(p, -1);
  c.held.clear();
}

void flow_control::hold(publisher_ref p, int delta) {
  if (p.worker == worker_.index()) {
    if (channel* ch = worker_.channel_by_id(p.channel)) ch->hold_input(delta);
    return;
  }
  if (outbox_.size() <= p.worker) outbox_.resize(p.worker + std::size_t{1});
  outbox_[p.worker].emplace_back(p.channel, delta);
  outbox_used_ = true;
  worker_.request_flush();
}

void flow_control::apply(const std::vector<std::pair<std::uint64_t, int>>& holds) {
  for (const auto& [id, delta] : holds) {
    if (channel* ch = worker_.channel_by_id(id)) ch->hold_input(delta);
  }
}

void flow_control::flush() {
  if (!outbox_used_) return;
  outbox_used_ = false;
  for (std::size_t w = 0; w < outbox_.size(); ++w) {
    if (outbox_[w].empty()) continue;
    worker& target = worker_.owner().worker_at(w);
    target.loop().post([&target, batch = std::move(outbox_[w])] {
      target.flow().apply(batch);
      target.request_flush();
    });
    outbox_[w].clear();
  }
}

void flow_control::arm_check() {
  if (check_timer_ != 0) return;
  // A quarter of the timeout, so a slow subscriber is found within 1.25 timeouts.
  const auto timeout =
      std::chrono::milliseconds(worker_.cfg().flow_control.slow_subscriber_timeout_ms);
  const auto period = std::clamp<std::chrono::milliseconds>(
      timeout / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  check_timer_ = worker_.loop().schedule(period, [this] {
    check_timer_ = 0;
    worker_.contained(nullptr, "flow_control", [this](channel*) { check_slow(); });
    if (!congested_.empty()) arm_check();
    worker_.request_flush();
  });
}

void flow_control::check_slow() {
  const auto& fc = worker_.cfg().flow_control;
  const auto now = std::chrono::steady_clock::now();
  const auto timeout = std::chrono::milliseconds(fc.slow_subscriber_timeout_ms);
  std::vector<std::uint64_t> slow;
  for (auto& [id, c] : congested_) {
    if (!c.slow && now - c.since >= timeout) slow.push_back(id);
  }
  for (const std::uint64_t id : slow) {
    auto* slot = worker_.find_session(id);
    auto it = congested_.find(id);
    if (slot == nullptr || it == congested_.end()) continue;
    session& s = *slot->s;
    worker_.log().warn(
        "slow_subscriber client={} queued={} bytes={} publishers_held={} policy={}", s.client_id(),
        s.queue_length(), s.queued_bytes(), it->second.held.size(),
        fc.slow_subscriber == config::slow_subscriber_policy::drop ? "drop" : "disconnect");
    if (fc.slow_subscriber == config::slow_subscriber_policy::disconnect && slot->ch != nullptr) {
      // Closing takes the session offline, which releases its publishers.
      channel* ch = slot->ch;
      worker_.contained(ch, "slow_subscriber",
                        [](channel* c) { c->kick(mqtt::reason_code::quota_exceeded, true); });
      continue;
    }
    congestion& c = it->second;
    c.slow = true;
    release_all(c);
    s.set_queue_elastic(false);
    s.trim_queue(worker_.delivery_counts());
  }
}

}  // namespace emqx_cpp::broker
