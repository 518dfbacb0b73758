// SPDX-License-Identifier: Apache-2.0
#include "broker/session.hpp"

#include "broker/session_codec.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

namespace emqx_cpp::broker {

session::session(std::uint64_t id, std::string client_id, session_limits limits)
    : id_(id), client_id_(std::move(client_id)), limits_(limits) {}

std::uint16_t session::next_packet_id() {
  // Skip ids still in flight; with at most 65535 in flight one is always free.
  for (int tries = 0; tries < 65536; ++tries) {
    last_packet_id_ =
        static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    if (find_inflight(last_packet_id_) == inflight_.end()) return last_packet_id_;
  }
  return 0;
}

lazy_deque<session::inflight_entry>::iterator session::find_inflight(std::uint16_t packet_id) {
  // Acknowledgements usually come in order, so the oldest entry is checked first.
  return std::find_if(inflight_.begin(), inflight_.end(),
                      [&](const inflight_entry& e) { return e.packet_id == packet_id; });
}

const char* to_string(drop_reason r) {
  switch (r) {
    case drop_reason::queue_full:
      return "queue_full";
    case drop_reason::qos0_msg:
      return "qos0_msg";
    case drop_reason::expired:
      return "expired";
    case drop_reason::too_large:
      return "too_large";
    case drop_reason::no_local:
      return "no_local";
  }
  return "unknown";
}

namespace {
std::uint64_t queued_size(const delivery& d) {
  return d.msg ? d.msg->payload.size() + d.msg->topic.size() : 0;
}
}  // namespace

void session::push_queued(delivery d) {
  queued_bytes_ += queued_size(d);
  mqueue_.push_back(std::move(d));
}

// The queue is kept in priority order, highest first, and in arrival order within a
// priority (with priorities off every message has priority 0: a plain FIFO). A
// priority's messages are therefore one run, found by binary search.
std::pair<session::queue_iterator, session::queue_iterator> session::run_of(
    std::uint16_t priority) {
  const auto first = std::partition_point(mqueue_.begin(), mqueue_.end(),
                                          [&](const delivery& q) { return q.priority > priority; });
  const auto last = std::partition_point(first, mqueue_.end(),
                                         [&](const delivery& q) { return q.priority == priority; });
  return {first, last};
}

void session::drop_queued(const delivery& d, delivery_stats& stats) {
  // EMQX's policy: the oldest queued message gives way to the new one.
  stats.drop(*this, d, d.qos == 0 ? drop_reason::qos0_msg : drop_reason::queue_full);
  if (journal_ != nullptr && d.qos > 0) journal_->done(*this, d, 0);
  queued_bytes_ -= queued_size(d);
}

void session::insert_queued(delivery d) {
  if (mqueue_.empty() || mqueue_.back().priority >= d.priority) {
    push_queued(std::move(d));
    return;
  }
  queued_bytes_ += queued_size(d);
  mqueue_.insert(run_of(d.priority).second, std::move(d));
}

void session::enqueue(delivery d, delivery_stats& stats) {
  const std::uint32_t max = limits_.max_mqueue_len;
  if (!queue_elastic_ && max != 0 && mqueue_.size() >= max) {
    // max_mqueue_len applies to each priority, as in EMQX; with priorities off that is
    // the whole queue.
    const auto [first, last] = run_of(d.priority);
    if (static_cast<std::size_t>(last - first) >= max) {
      drop_queued(*first, stats);
      mqueue_.erase(first);
    }
  }
  insert_queued(std::move(d));
  ++stats.queued;
}

void session::trim_queue(delivery_stats& stats) {
  const std::uint32_t max = limits_.max_mqueue_len;
  if (max == 0 || mqueue_.size() <= max) return;
  for (auto it = mqueue_.begin(); it != mqueue_.end();) {
    const auto [first, last] = run_of(it->priority);
    const auto excess = last - first - static_cast<std::ptrdiff_t>(max);
    if (excess <= 0) {
      it = last;
      continue;
    }
    for (auto d = first; d != first + excess; ++d)
      drop_queued(*d, stats);
    it = mqueue_.erase(first, first + excess) + max;
  }
}

bool session::send_now(delivery& d, outbound* out, steady_clock::time_point now,
                       delivery_stats& stats) {
  if (d.msg->expired(now)) {
    stats.drop(*this, d, drop_reason::expired);
    if (journal_ != nullptr && d.qos > 0) journal_->done(*this, d, 0);
    return true;  // consumed
  }
  if (d.qos == 0) {
    // Over the connection's high-water mark it waits in the queue like QoS 1/2 (and
    // counts toward flow control), unless QoS 0 is not queued at all.
    if (!out->can_send()) {
      if (limits_.mqueue_store_qos0) return false;
      stats.drop(*this, d, drop_reason::qos0_msg);
      return true;
    }
    if (out->send_publish(d, 0, false)) {
      ++stats.sent;
    } else {
      stats.drop(*this, d, drop_reason::too_large);
    }
    return true;
  }
  if (inflight_.size() >= limits_.max_inflight) return false;
  const std::uint16_t pid = next_packet_id();
  if (!out->send_publish(d, pid, false)) {
    stats.drop(*this, d, drop_reason::too_large);
    if (journal_ != nullptr) journal_->done(*this, d, 0);
    return true;
  }
  ++stats.sent;
  if (journal_ != nullptr) journal_->sent(*this, d, pid);
  const wait state = d.qos == 1 ? wait::puback : wait::pubrec;
  inflight_.push_back(inflight_entry{std::move(d), pid, state, now});
  return true;
}

void session::deliver(delivery d, outbound* out, steady_clock::time_point now,
                      delivery_stats& stats) {
  if (limits_.upgrade_qos) d.qos = std::max(d.qos, d.msg->qos);
  if (journal_ != nullptr && d.qos > 0) journal_->appended(*this, d);
  if (out == nullptr) {
    if (d.qos == 0 && !limits_.mqueue_store_qos0) {
      stats.drop(*this, d, drop_reason::qos0_msg);
      return;
    }
    enqueue(std::move(d), stats);
    return;
  }
  // Keep per-topic order: nothing overtakes what is already queued.
  if (!mqueue_.empty()) {
    enqueue(std::move(d), stats);
    drain(out, now, stats);
    return;
  }
  if (!send_now(d, out, now, stats)) enqueue(std::move(d), stats);
}

void session::drain(outbound* out, steady_clock::time_point now, delivery_stats& stats) {
  if (out == nullptr) return;
  while (!mqueue_.empty()) {
    delivery& d = mqueue_.front();
    if (d.qos > 0 && inflight_.size() >= limits_.max_inflight) return;
    if (d.qos == 0 && !out->can_send()) return;  // wait for the output to drain
    const std::uint64_t size = queued_size(d);   // send_now moves the message into flight
    if (!send_now(d, out, now, stats)) return;
    queued_bytes_ -= size;
    mqueue_.pop_front();
  }
}

bool session::on_puback(std::uint16_t packet_id, outbound* out, steady_clock::time_point now,
                        delivery_stats& stats, message_ptr* acked) {
  auto it = find_inflight(packet_id);
  if (it == inflight_.end() || it->state != wait::puback) return false;
  if (journal_ != nullptr) journal_->done(*this, it->d, packet_id);
  if (acked != nullptr) *acked = std::move(it->d.msg);
  inflight_.erase(it);
  drain(out, now, stats);
  return true;
}

bool session::on_pubrec(std::uint16_t packet_id, bool refused, outbound* out,
                        steady_clock::time_point now, delivery_stats& stats, message_ptr* acked) {
  auto it = find_inflight(packet_id);
  if (it == inflight_.end() || it->state == wait::puback) return false;
  if (acked != nullptr && it->state == wait::pubrec) *acked = it->d.msg;
  if (refused) {
    // A PUBREC with an error reason code ends the exchange: no PUBREL follows.
    if (journal_ != nullptr) journal_->done(*this, it->d, packet_id);
    inflight_.erase(it);
    drain(out, now, stats);
    return true;
  }
  it->state = wait::pubcomp;
  if (journal_ != nullptr) {
    journal_->received(*this, it->d, packet_id);  // its id is kept for the DONE to come
  } else {
    it->d.msg.reset();  // the payload is no longer needed once the client has it
  }
  if (out != nullptr) out->send_pubrel(packet_id);
  return true;
}

bool session::on_pubcomp(std::uint16_t packet_id, outbound* out, steady_clock::time_point now,
                         delivery_stats& stats) {
  auto it = find_inflight(packet_id);
  if (it == inflight_.end() || it->state != wait::pubcomp) return false;
  if (journal_ != nullptr) journal_->done(*this, it->d, packet_id);
  inflight_.erase(it);
  drain(out, now, stats);
  return true;
}

void session::resend(inflight_entry& e, outbound* out, steady_clock::time_point now) {
  if (e.state == wait::pubcomp) {
    out->send_pubrel(e.packet_id);
  } else {
    out->send_publish(e.d, e.packet_id, true);
  }
  e.sent_at = now;
}

void session::resume(outbound* out, steady_clock::time_point now, delivery_stats& stats) {
  for (auto& e : inflight_)
    resend(e, out, now);
  drain(out, now, stats);
}

steady_clock::time_point session::retry(outbound* out, steady_clock::time_point now,
                                        std::chrono::milliseconds interval) {
  for (auto& e : inflight_) {
    if (now - e.sent_at >= interval) resend(e, out, now);
  }
  return next_retry(interval);
}

steady_clock::time_point session::next_retry(std::chrono::milliseconds interval) {
  steady_clock::time_point next{};
  for (const auto& e : inflight_) {
    if (next == steady_clock::time_point{} || e.sent_at + interval < next)
      next = e.sent_at + interval;
  }
  return next;
}

session::rel_status session::await_rel(std::uint16_t packet_id, steady_clock::time_point now) {
  if (!awaiting_rel_) awaiting_rel_ = std::make_unique<awaiting_rel_map>();
  auto& ids = *awaiting_rel_;
  if (ids.count(packet_id) != 0) return rel_status::duplicate;
  if (limits_.max_awaiting_rel != 0 && ids.size() >= limits_.max_awaiting_rel)
    return rel_status::too_many;
  ids.emplace(packet_id, now);
  if (journal_ != nullptr) journal_->rel_awaited(*this, packet_id);
  return rel_status::accepted;
}

bool session::release(std::uint16_t packet_id) {
  const bool had = awaiting_rel_ && awaiting_rel_->erase(packet_id) > 0;
  if (had && journal_ != nullptr) journal_->rel_released(*this, packet_id);
  return had;
}

std::size_t session::expire_awaiting_rel(steady_clock::time_point now,
                                         std::chrono::milliseconds timeout) {
  if (!awaiting_rel_) return 0;
  return std::erase_if(*awaiting_rel_, [&](const auto& kv) {
    const bool expired = now - kv.second >= timeout;
    if (expired && journal_ != nullptr) journal_->rel_released(*this, kv.first);
    return expired;
  });
}

steady_clock::time_point session::next_rel_expiry(std::chrono::milliseconds timeout) const {
  steady_clock::time_point next{};
  if (!awaiting_rel_) return next;
  for (const auto& [id, since] : *awaiting_rel_) {
    if (next == steady_clock::time_point{} || since + timeout < next) next = since + timeout;
  }
  return next;
}

std::vector<std::uint16_t> session::awaiting_rel_ids() const {
  std::vector<std::uint16_t> ids;
  if (awaiting_rel_) {
    ids.reserve(awaiting_rel_->size());
    for (const auto& [id, since] : *awaiting_rel_)
      ids.push_back(id);
  }
  return ids;
}

void session::restore_inflight(delivery d, std::uint16_t packet_id, waiting state) {
  inflight_.push_back(inflight_entry{std::move(d), packet_id, state, steady_clock::now()});
}

void session::restore_queued(delivery d) {
  push_queued(std::move(d));
}

void session::restore_awaiting_rel(std::uint16_t packet_id, steady_clock::time_point since) {
  if (!awaiting_rel_) awaiting_rel_ = std::make_unique<awaiting_rel_map>();
  awaiting_rel_->emplace(packet_id, since);
}

void session::adopt_stored(std::vector<stored_inflight> inflight, std::vector<delivery> queue,
                           delivery_stats& stats) {
  for (auto& f : inflight)
    restore_inflight(std::move(f.d), f.packet_id, f.state);
  lazy_deque<delivery> newer;
  for (auto& d : mqueue_)
    newer.push_back(std::move(d));
  mqueue_.clear();
  queued_bytes_ = 0;
  for (auto& d : queue)
    enqueue(std::move(d), stats);
  while (!newer.empty()) {
    enqueue(std::move(newer.front()), stats);
    newer.pop_front();
  }
}

std::vector<delivery> session::take_undelivered() {
  std::vector<delivery> out;
  for (auto& e : inflight_) {
    if (e.d.msg) out.push_back(std::move(e.d));
  }
  for (auto& d : mqueue_)
    out.push_back(std::move(d));
  inflight_.clear();
  mqueue_.clear();
  queued_bytes_ = 0;
  return out;
}

}  // namespace emqx_cpp::broker
