// SPDX-License-Identifier: Apache-2.0
//
// A worker's side of the session store: saving whole sessions, taking back the ones the
// store listed at start, and loading what those still keep in the store. Only client
// ids the store may hold (it listed them, or this worker saved them) are ever loaded or
// erased, so a clean start or a new client costs the store nothing.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

void worker::save_session(session_slot& slot) {
  auto* store = owner_.session_store();
  if (store == nullptr) return;
  session& s = *slot.s;
  store->save(s.client_id(), encode_session(s, wall_clock_ms(), to_wall_ms(slot.will_due)),
              s.expiry_interval);
  stored_ids_.insert(s.client_id());
}

bool worker::journaling() {
  auto* store = owner_.session_store();
  return store != nullptr && store->takes_changes();
}

void worker::start_journal(session_slot& slot) {
  session& s = *slot.s;
  if (s.expiry_interval == 0 || !journaling()) {
    s.set_journal(nullptr);
    return;
  }
  if (s.journal() == nullptr) save_session(slot);  // the base the changes apply to
  s.set_journal(&journal_);
}

void worker::send_journal() {
  if (journal_.empty()) return;
  auto batch = journal_.take();
  auto* store = owner_.session_store();
  if (store == nullptr || !store->takes_changes()) {
    for (auto& b : batch.barriers)
      b->resolve();
    return;
  }
  store->apply(std::move(batch.changes), batch.store,
               [barriers = std::move(batch.barriers), this](bool ok) {
                 if (!ok)
                   log_->warn(
                       "session_changes_not_kept count={} reason=\"the session store "
                       "refused them\"",
                       barriers.size());
                 for (const auto& b : barriers)
                   b->resolve();
               });
}

bool worker::store_may_hold(const std::string& client_id) {
  auto* store = owner_.session_store();
  if (store == nullptr) return false;
  return !store->lists() || stored_ids_.count(client_id) != 0;
}

void worker::forget_stored(const std::string& client_id) {
  if (!store_may_hold(client_id)) return;
  stored_ids_.erase(client_id);
  if (auto* store = owner_.session_store()) store->erase(client_id);
}

void worker::restore_session(stored_session st) {
  if (find_session(st.client_id) != nullptr) return;  // a client is here already
  const auto& m = cfg().mqtt;
  session_limits limits;
  limits.max_inflight = m.max_inflight;
  limits.max_mqueue_len = m.max_mqueue_len;
  limits.mqueue_store_qos0 = m.mqueue_store_qos0;
  limits.max_awaiting_rel = m.max_awaiting_rel;
  limits.upgrade_qos = m.upgrade_qos;
  session_slot& slot = create_session(st.client_id, limits);
  session& s = *slot.s;
  s.username = st.username;
  s.expiry_interval = st.expiry_interval;
  for (auto& [raw, sub] : st.subscriptions) {
    if (sub.exclusive && !owner_.exclusive().claim(sub.filter, s.client_id())) {
      log_->warn(
          "session_restore_skipped client={} filter={} reason=\"exclusive, held by another "
          "client\"",
          s.client_id(), raw);
      continue;
    }
    route r;
    r.who = subscriber_ref{index_, s.id()};
    r.opts = sub.opts;
    r.subscription_id = sub.subscription_id;
    add_route(sub.filter, sub.group, r);
    stats_.add(stats_.subscriptions);
    if (sub.shared()) stats_.add(stats_.shared_subscriptions);
    s.subscriptions().emplace(raw, std::move(sub));
  }
  slot.stored_state = !st.inflight.empty() || !st.queue.empty() || !st.awaiting_rel.empty() ||
                      st.last_packet_id != 0;
  // Kept change by change from here, on top of what the store holds.
  if (journaling() && s.expiry_interval != 0) s.set_journal(&journal_);
  stored_ids_.insert(st.client_id);
  const std::uint64_t now = wall_clock_ms();
  // What a store hands back is bounded: a will delay or an expiry is at most what the
  // protocol allows (0xFFFFFFFE seconds), whatever the stored numbers say.
  constexpr std::uint64_t longest_ms = 0xFFFFFFFEULL * 1000;
  if (st.will && st.will_publish_at_ms != 0) {
    const auto delay =
        std::min(st.will_publish_at_ms > now ? st.will_publish_at_ms - now : 0, longest_ms);
    schedule_will(slot, std::move(*st.will), std::chrono::milliseconds(delay));
  }
  if (s.expiry_interval != 0xFFFFFFFF) {
    const std::uint64_t ends = st.saved_at_ms + std::uint64_t{s.expiry_interval} * 1000;
    const auto left = std::chrono::milliseconds(std::min(ends > now ? ends - now : 0, longest_ms));
    const std::string client_id = s.client_id();
    slot.expiry_timer = loop_.schedule(left, [this, client_id] {
      if (auto* sl = find_session(client_id)) {
        sl->expiry_timer = 0;
        if (sl->ch == nullptr) end_session(client_id, "expired");
      }
      request_flush();
    });
  }
  log_->debug("session_restored client={} subscriptions={} state_in_store={}", s.client_id(),
              s.subscriptions().size(), slot.stored_state);
}

void worker::merge_stored(session_slot& slot, stored_session& st) {
  session& s = *slot.s;
  // What the session queued since it was restored is newer than what the store kept.
  s.adopt_stored(std::move(st.inflight), std::move(st.queue), delivery_);
  const auto now = steady_clock::now();
  for (const auto id : st.awaiting_rel)
    s.restore_awaiting_rel(id, now);
  s.restore_last_packet_id(st.last_packet_id);
  slot.stored_state = false;
}

void worker::save_all(const std::shared_ptr<std::atomic<int>>& outstanding) {
  auto* store = owner_.session_store();
  if (store == nullptr) return;
  for (auto& [id, slot] : sessions_) {
    if (slot.s->expiry_interval == 0) continue;  // ends with its connection
    if (!slot.stored_state) {
      save_session(slot);
      continue;
    }
    // Part of it is only in the store: load that, merge, and write the whole again.
    ++*outstanding;
    store->load(std::string(id),
                [this, client_id = std::string(id), outstanding](std::optional<std::string> blob) {
                  loop_.post([this, client_id, outstanding, blob = std::move(blob)] {
                    contained(nullptr, "save", [&](channel*) {
                      auto* now_slot = find_session(client_id);
                      if (now_slot == nullptr) return;
                      if (now_slot->stored_state && blob) {
                        if (auto st = decode_session(*blob)) merge_stored(*now_slot, *st);
                      }
                      now_slot->stored_state = false;
                      save_session(*now_slot);
                    });
                    --*outstanding;
                  });
                });
  }
}

}  // namespace emqx_cpp::broker
