// SPDX-License-Identifier: Apache-2.0
#include "broker/worker.hpp"

#include <event2/event.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/fault_injection.hpp"
#include "broker/plugin_bridge.hpp"
#include "broker/shared_dispatch.hpp"
#include "plugin/hook_runner.hpp"

namespace emqx_cpp::broker {

namespace {
// Keepalive and CONNECT deadlines fire within one tick of being due; a round of the
// wheel (102 s) covers the default keepalive of 60 s times 1.5 in one pass.
constexpr std::chrono::milliseconds deadline_tick{100};
constexpr std::size_t deadline_slots = 1024;
}  // namespace

worker::worker(broker& owner, std::uint16_t index, std::size_t worker_count)
    : owner_(owner),
      index_(index),
      log_(runtime::logger_for("broker")),
      rng_(std::random_device{}() ^ (std::uint64_t{index} << 32)),
      hooks_(owner.hook_registry()),
      outbox_(worker_count),
      deadlines_(deadline_tick, deadline_slots, std::chrono::steady_clock::now()),
      ids_(node_hash(owner.cfg().node.name), index) {
  delivery_.listener = this;
  for (const auto& [topic, priority] : owner.cfg().mqtt.mqueue_priorities)
    priorities_.emplace(topic, priority);
  if (!priorities_.empty() &&
      owner.cfg().mqtt.mqueue_default_priority == config::default_priority::highest)
    default_priority_ = 256;  // above the highest a topic can be given (255)
  flush_ev_ = event_new(loop_.base(), -1, 0, &worker::on_flush_event, this);
  event_priority_set(flush_ev_, runtime::event_loop::end_of_iteration_priority);
  deadline_tick_ev_ = event_new(loop_.base(), -1, EV_PERSIST, &worker::on_deadline_tick, this);
}

worker::~worker() {
  // Channels reference the loop's timers; drop them before the loop goes.
  retired_.clear();
  channels_.clear();
  lingering_.clear();
  listeners_.clear();
  event_free(flush_ev_);
  event_free(deadline_tick_ev_);
}

void worker::arm_deadline(runtime::wheel_hook& h, std::chrono::steady_clock::time_point due) {
  deadlines_.arm(h, due);
  if (event_pending(deadline_tick_ev_, EV_TIMEOUT, nullptr) == 0) {
    const timeval tv{0, static_cast<suseconds_t>(deadline_tick.count() * 1000)};
    event_add(deadline_tick_ev_, &tv);
  }
}

void worker::on_deadline_tick(int /*fd*/, short /*what*/, void* self) {
  auto* w = static_cast<worker*>(self);
  w->deadlines_.advance(std::chrono::steady_clock::now(), [w](runtime::wheel_hook& h) {
    // Only channels are armed on this wheel.
    w->contained(&static_cast<channel&>(h), "timer", [](channel* ch) { ch->on_deadline(); });
  });
  if (w->deadlines_.size() == 0) event_del(w->deadline_tick_ev_);
  w->request_flush();
}

const config::broker_config& worker::cfg() const {
  return owner_.cfg();
}

void worker::run() {
  loop_.run();
}

void worker::stop_loop() {
  loop_.stop();
}

result<std::uint16_t> worker::open_listener(std::size_t listener, std::uint16_t port) {
  const auto& lc = owner_.listener(listener).cfg;
  auto l = std::make_unique<net::tcp_listener>(
      loop_.base(), [this, listener](net::accepted_socket s) { accept(std::move(s), listener); });
  if (lc.max_conn_rate.limited()) {
    listener_state& state = owner_.listener(listener);
    l->set_gate([&state] { return state.admit(); });
  }
  auto bound = l->open(lc.host, port, lc.backlog, lc.nodelay);
  if (bound) listeners_.push_back(std::move(l));
  return bound;
}

void worker::close_listeners() {
  listeners_.clear();
}

channel* worker::channel_by_id(std::uint64_t id) {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second.get();
}

void worker::accept(net::accepted_socket s, std::size_t listener) {
  auto ch = std::make_unique<channel>(*this, s.fd, std::move(s.peer), listener);
  channel* raw = ch.get();
  channels_.emplace(raw->id(), std::move(ch));
  raw->start();
  request_flush();
}

void worker::adopt(handover h) {
  auto ch = std::make_unique<channel>(*this, h.fd, std::move(h.peer), h.listener, h.unparsed);
  channel* raw = ch.get();
  channels_.emplace(raw->id(), std::move(ch));
  raw->start_handed_over(std::move(h.connect), h.over_limit, h.assigned_id);
  request_flush();
}

void worker::retire(channel* ch) {
  auto it = channels_.find(ch->id());
  if (it == channels_.end()) return;
  retired_.push_back(std::move(it->second));
  channels_.erase(it);
  request_flush();
}

void worker::mark_dirty(channel* ch) {
  dirty_.push_back(ch);
  request_flush();
}

void worker::request_flush() {
  if (flush_pending_) return;
  flush_pending_ = true;
  event_active(flush_ev_, EV_TIMEOUT, 0);
}

void worker::escaped(channel* ch, const char* where, const char* what) {
  if (ch == nullptr) {
    log_->error("task_failed where={} reason=\"{}\"", where, what);
    return;
  }
  log_->error("handler_crash where={} client={} peer={} reason=\"{}\"", where,
              ch->client().client_id, ch->client().peer, what);
  ch->fail(what);
}

void worker::on_flush_event(int /*fd*/, short /*what*/, void* self) {
  static_cast<worker*>(self)->end_of_iteration();
}

void worker::end_of_iteration() {
  flush_pending_ = false;
  // Deliveries for other workers leave before this worker's sockets are written.
  for (std::size_t w = 0; w < outbox_.size(); ++w) {
    if (outbox_[w].empty()) continue;
    auto batch = std::make_shared<std::vector<remote_delivery>>(std::move(outbox_[w]));
    outbox_[w].clear();
    worker& target = owner_.worker_at(w);
    target.loop().post(
        [&target, batch, from = index_] { target.receive_deliveries(std::move(*batch), from); });
  }
  flow_.flush();
  // Flushing can close a connection (write error) and so mark more channels; loop
  // until the list is stable.
  while (!dirty_.empty()) {
    auto dirty = std::move(dirty_);
    dirty_.clear();
    for (channel* ch : dirty)
      contained(ch, "flush", [](channel* c) { c->flush(); });
  }
  report_deliveries();
  send_journal();
  send_forwards();
  owner_.flush_route_changes();
  retired_.clear();
  std::erase_if(lingering_, [](const lingering& l) { return l.conn->closed(); });
}

void worker::report_deliveries() {
  auto& d = delivery_;
  if (d.sent != 0) stats_.add(stats_.messages_sent, d.sent);
  std::uint64_t dropped = 0;
  for (std::size_t r = 0; r < drop_reason_count; ++r) {
    if (d.dropped[r] == 0) continue;
    stats_.add(stats_.delivery_dropped_by[r], d.dropped[r]);
    dropped += d.dropped[r];
  }
  if (dropped != 0) stats_.add(stats_.delivery_dropped, dropped);
  d.sent = 0;
  d.queued = 0;
  d.dropped = {};
}

void worker::delivery_dropped(const session& s, const delivery& d, drop_reason why) {
  log_->debug("delivery_dropped client={} topic={} reason={}", s.client_id(), d.msg->topic,
              to_string(why));
  notify_session(ECP_HOOK_DELIVERY_DROPPED, s, 0, d.msg.get(), to_string(why));
}

void worker::message_dropped(const message& m, const char* reason_name, mqtt::reason_code code) {
  stats_.add(stats_.messages_dropped);
  log_->debug("message_dropped topic={} publisher={} reason={}", m.topic, m.publisher, reason_name);
  if (hooks_.empty(ECP_HOOK_MESSAGE_DROPPED)) return;
  event_frame frame;
  init_event(frame, ECP_HOOK_MESSAGE_DROPPED, index_);
  ecp_message handle{const_cast<message*>(&m), false};
  frame.event.message = &handle;
  frame.event.reason = static_cast<int>(code);
  frame.event.reason_name = reason_name;
  plugin::notify(hooks_, ECP_HOOK_MESSAGE_DROPPED, frame.event);
}

void worker::linger(std::unique_ptr<net::tcp_connection> conn) {
  static struct : net::tcp_connection::handler {
    void on_input(net::tcp_connection& c) override { c.consume(c.input().size()); }
    void on_closed(net::tcp_connection& /*c*/, const std::string& /*why*/) override {}
  } drain_only;
  conn->set_handler(&drain_only);
  lingering_.push_back({std::move(conn), std::chrono::steady_clock::now()});
  if (linger_timer_ == 0) {
    linger_timer_ = loop_.schedule(std::chrono::seconds(1), [this] {
      linger_timer_ = 0;
      sweep_lingering();
    });
  }
}

void worker::sweep_lingering() {
  // A client that never reads its last bytes gets five seconds, then the socket closes.
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(lingering_, [&](const lingering& l) {
    return l.conn->closed() || now - l.since > std::chrono::seconds(5);
  });
  if (!lingering_.empty()) {
    linger_timer_ = loop_.schedule(std::chrono::seconds(1), [this] {
      linger_timer_ = 0;
      sweep_lingering();
    });
  }
}

void worker::disconnect_all() {
  close_listeners();
  std::vector<channel*> all;
  all.reserve(channels_.size());
  for (auto& [id, ch] : channels_)
    all.push_back(ch.get());
  for (channel* ch : all)
    ch->kick(mqtt::reason_code::server_shutting_down, false);
  end_of_iteration();
}

std::uint64_t worker::new_session_id() {
  return (std::uint64_t{index_} << 48) | next_session_++;
}

worker::session_slot* worker::find_session(std::string_view client_id) {
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

worker::session_slot* worker::find_session(std::uint64_t session_id) {
  auto it = session_ids_.find(session_id);
  return it == session_ids_.end() ? nullptr : it->second;
}

worker::session_slot& worker::create_session(const std::string& client_id,
                                             const session_limits& limits) {
  const std::uint64_t id = new_session_id();
  auto s = std::make_unique<session>(id, client_id, limits);
  const std::string_view key = s->client_id();
  session_slot* slot = nullptr;
  {
    std::lock_guard lock(clients_mutex_);
    // Callers end a previous session of this client id first.
    slot = &sessions_.try_emplace(key).first->second;
  }
  slot->s = std::move(s);
  session_ids_[id] = slot;
  stats_.add(stats_.sessions);
  notify_session(ECP_HOOK_SESSION_CREATED, *slot->s);
  return *slot;
}

void worker::show_client(const channel& ch) {
  std::lock_guard lock(clients_mutex_);
  if (auto* slot = find_session(ch.client().client_id)) slot->visible = &ch;
}

void worker::hide_client(const channel& ch) {
  std::lock_guard lock(clients_mutex_);
  // A takeover shows the new connection before the old one closes.
  if (auto* slot = find_session(ch.client().client_id); slot && slot->visible == &ch)
    slot->visible = nullptr;
}

std::optional<plugin::client_snapshot> worker::client_snapshot(std::string_view client_id) const {
  std::lock_guard lock(clients_mutex_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end() || it->second.visible == nullptr) return std::nullopt;
  return it->second.visible->snapshot();
}

void worker::end_session(const std::string& client_id, const char* why) {
  auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return;
  session_slot& slot = it->second;
  session& s = *slot.s;
  loop_.cancel(slot.expiry_timer);
  if (slot.will_timer != 0) {
    // A delayed will is published when the session ends first [MQTT-3.1.3-9].
    loop_.cancel(slot.will_timer);
    if (s.will) publish_will(s, *s.will);
  }
  for (auto& [raw, sub] : s.subscriptions()) {
    remove_route(sub.filter, sub.group, subscriber_ref{index_, s.id()});
    if (sub.exclusive) owner_.exclusive().release(sub.filter, s.client_id());
    stats_.sub(stats_.subscriptions);
    if (sub.shared()) stats_.sub(stats_.shared_subscriptions);
  }
  flow_.offline(s);
  redispatch_shared(s);
  forget_stored(client_id);
  notify_session(std::string_view(why) == "discarded" ? ECP_HOOK_SESSION_DISCARDED
                                                      : ECP_HOOK_SESSION_TERMINATED,
                 s);
  log_->debug("session_terminated client={} reason={}", client_id, why);
  session_ids_.erase(s.id());
  {
    std::lock_guard lock(clients_mutex_);
    sessions_.erase(it);
  }
  stats_.sub(stats_.sessions);
}

void worker::park_session(session_slot& slot) {
  session& s = *slot.s;
  flow_.offline(s);
  if (s.expiry_interval == 0) {
    end_session(s.client_id(), "expired");
    return;
  }
  // Written whole even when it is kept change by change: its will and expiry were set as
  // the connection closed, and changes do not carry those.
  save_session(slot);
  if (s.expiry_interval == 0xFFFFFFFF) return;  // never expires
  const std::string client_id = s.client_id();
  slot.expiry_timer = loop_.schedule(std::chrono::seconds(s.expiry_interval), [this, client_id] {
    if (auto* sl = find_session(client_id)) {
      sl->expiry_timer = 0;
      if (sl->ch == nullptr) end_session(client_id, "expired");
    }
    request_flush();
  });
}

void worker::schedule_will(session_slot& slot, mqtt::will_message will, std::uint32_t delay_s) {
  schedule_will(slot, std::move(will), std::chrono::milliseconds(std::uint64_t{delay_s} * 1000));
}

void worker::schedule_will(session_slot& slot, mqtt::will_message will,
                           std::chrono::milliseconds delay) {
  slot.s->will = std::make_unique<mqtt::will_message>(std::move(will));
  const std::string client_id = slot.s->client_id();
  slot.will_due = steady_clock::now() + delay;
  slot.will_timer = loop_.schedule(delay, [this, client_id] {
    auto* sl = find_session(client_id);
    if (sl == nullptr) return;
    sl->will_timer = 0;
    sl->will_due = {};
    if (sl->s->will) {
      publish_will(*sl->s, *sl->s->will);
      sl->s->will.reset();
    }
    request_flush();
  });
}

void worker::cancel_will(session_slot& slot) {
  // A reconnect before the will delay ends cancels the will [MQTT-3.1.3-9].
  loop_.cancel(slot.will_timer);
  slot.will_timer = 0;
  slot.will_due = {};
  slot.s->will.reset();
}

void worker::publish_will(const session& s, const mqtt::will_message& will) {
  auto msg = std::make_shared<message>();
  msg->topic = will.topic;
  msg->payload = will.payload;
  msg->qos = will.qos;
  msg->retain = will.retain;
  msg->publisher = s.client_id();
  stamp(*msg);
  mqtt::properties props = will.props;
  if (props.message_expiry_interval && *props.message_expiry_interval != 0)
    msg->expires_at = steady_clock::now() + std::chrono::seconds(*props.message_expiry_interval);
  props.message_expiry_interval.reset();
  props.will_delay_interval.reset();
  if (props != mqtt::properties{})
    msg->props = std::make_shared<const mqtt::properties>(std::move(props));
  log_->debug("will_published client={} topic={}", s.client_id(), will.topic);
  client_info who;
  who.client_id = s.client_id();
  if (!s.username.empty()) who.username = s.username;
  if (!run_publish_hooks(*msg, &who)) return;
  retain(msg);
  publish(msg);
  request_flush();
}

void worker::publish_from_host(const std::shared_ptr<message>& m) {
  stamp(*m);
  if (!run_publish_hooks(*m, nullptr)) return;
  retain(m);
  publish(m);
  request_flush();
}

void worker::retain(const message_ptr& m) {
  if (!m->retain) return;
  if (owner_.retained().store(m) == retained_store::store_result::stored)
    stats_.add(stats_.messages_retained);
}

bool worker::run_publish_hooks(message& m, const client_info* publisher) {
  if (hooks_.empty(ECP_HOOK_MESSAGE_PUBLISH)) return true;
  inject_fault("hooks", m.publisher);
  event_frame frame;
  init_event(frame, ECP_HOOK_MESSAGE_PUBLISH, index_);
  if (publisher != nullptr) describe_client(*publisher, true, 0, frame);
  ecp_message handle{&m, true};
  frame.event.message = &handle;
  const auto chain = hooks_.shared_chain(ECP_HOOK_MESSAGE_PUBLISH);
  const auto r = plugin::run_chain(*chain, 0, frame.event);
  if (r.result == ECP_HOOK_STOP && r.reply.code != ECP_OK) {
    log_->debug("message_dropped_by_hook topic={} plugin={}", m.topic,
                r.entry != nullptr && r.entry->owner ? r.entry->owner->owner_name() : "kernel");
    return false;
  }
  return true;
}

void worker::notify_session(ecp_hook_point hook, const session& s, int reason, const message* msg,
                            const char* reason_name) {
  if (hooks_.empty(hook)) return;
  client_info who;
  who.client_id = s.client_id();
  if (!s.username.empty()) who.username = s.username;
  event_frame frame;
  init_event(frame, hook, index_);
  describe_client(who, false, 0, frame);
  frame.event.reason = reason;
  // Read-only: the message may already be shared with other subscribers.
  ecp_message handle{const_cast<message*>(msg), false};
  if (msg != nullptr) frame.event.message = &handle;
  frame.event.reason_name = reason_name;
  plugin::notify(hooks_, hook, frame.event);
}

std::size_t worker::publish(const message_ptr& m,
                            const std::function<void(std::size_t)>& before_delivery,
                            const std::shared_ptr<ack_barrier>& barrier, std::uint64_t source) {
  // Match under the replica's lock, deliver after it: delivery never waits on a
  // subscriber applying a route, and a nested publish cannot deadlock.
  std::vector<hit> hits;
  hits.swap(hits_);
  const auto strategy = cfg().mqtt.shared_subscription_strategy;
  // A message from another node is delivered here only: that node forwarded it already.
  const bool forwardable = m->origin == nullptr && !m->sys;
  std::size_t remote = 0;
  {
    std::lock_guard lock(router_mutex_);
    router_.match(
        m->topic,
        [&](const route& r) {
          hits.push_back(hit{r, {}});
        },
        [&](share_group& g) {
          const std::size_t i = pick_member(g, strategy, m->topic, m->publisher, index_, rng_);
          if (i != SIZE_MAX) hits.push_back(hit{g.members[i], g.name + "\n" + g.filter});
        },
        [&](std::uint16_t node) {
          if (!forwardable) return;
          if (forwards_.size() <= node) forwards_.resize(node + 1);
          auto& batch = forwards_[node];
          // Once per node, however many of its filters match.
          if (batch.empty() || batch.back() != m) {
            batch.push_back(m);
            ++remote;
          }
        });
  }
  if (remote != 0) request_flush();
  const std::size_t matched = hits.size() + remote;
  if (matched == 0 && !m->sys) {
    stats_.add(stats_.messages_dropped_no_subscribers);
    message_dropped(*m, "no_subscribers", mqtt::reason_code::no_matching_subscribers);
  }
  if (before_delivery) before_delivery(matched);
  for (auto& h : hits)
    dispatch(h.r, m, std::move(h.share), barrier, source);
  hits.clear();
  if (hits_.empty()) hits_.swap(hits);
  return matched;
}

void worker::dispatch(const route& r, const message_ptr& m, std::string share,
                      const std::shared_ptr<ack_barrier>& barrier, std::uint64_t source) {
  delivery d;
  if (barrier && m->qos > 0) {
    barrier->hold();
    d.barrier = barrier;
  }
  d.qos = std::min(m->qos, r.opts.qos);
  d.retain = r.opts.retain_as_published && m->retain;
  d.subscription_id = r.subscription_id;
  d.share = std::move(share);
  d.msg = m;
  const bool no_local = r.opts.no_local || cfg().mqtt.ignore_loop_deliver;
  if (r.who.worker == index_) {
    deliver_local(r.who.session_id, std::move(d), no_local, publisher_ref{index_, source});
    return;
  }
  outbox_[r.who.worker].push_back(
      remote_delivery{r.who.session_id, source, no_local, std::move(d)});
  request_flush();
}

void worker::deliver_local(std::uint64_t session_id, delivery d, bool no_local,
                           publisher_ref from) {
  session_slot* slot = find_session(session_id);
  if (slot == nullptr) {
    // The session ended while the message was on its way.
    log_->debug("undeliverable session_id={:#x} topic={}", session_id, d.msg->topic);
    if (d.barrier) d.barrier->resolve();
    return;
  }
  session& s = *slot->s;
  // The publisher's acknowledgement waits for this copy only if it is kept change by
  // change: then until the batch holding it is written, else not at all.
  if (auto barrier = std::move(d.barrier)) {
    if (s.journal() != nullptr && d.qos > 0) {
      journal_.hold(std::move(barrier));
      request_flush();
    } else {
      barrier->resolve();
    }
  }
  if (no_local && d.msg->publisher == s.client_id()) {
    delivery_.drop(s, d, drop_reason::no_local);
    return;
  }
  if (!priorities_.empty()) {
    const auto it = priorities_.find(d.msg->topic);
    d.priority = it == priorities_.end() ? default_priority_ : it->second;
  }
  // Counted in delivery_ and reported once at the end of the loop cycle.
  contained(slot->ch, "deliver", [&](channel* ch) {
    inject_fault("deliver", s.client_id());
    s.deliver(std::move(d), ch, steady_clock::now(), delivery_);
    if (ch == nullptr) return;
    flow_.delivered(s, from);
    if (cfg().force_shutdown.enable) flow_.over_connection_limits(s, *ch);
  });
  request_flush();
}

void worker::release_overload_holds() {
  auto held = std::move(overload_held_);
  overload_held_.clear();
  for (const std::uint64_t id : held) {
    if (channel* ch = channel_by_id(id)) ch->hold_input(0);
  }
}

void worker::receive_deliveries(std::vector<remote_delivery> batch, std::uint16_t from_worker) {
  for (auto& rd : batch)
    deliver_local(rd.session_id, std::move(rd.d), rd.no_local,
                  publisher_ref{from_worker, rd.source});
  request_flush();
}

void worker::add_route(const std::string& filter, const std::string& group, const route& r) {
  for (std::size_t w = 0; w < owner_.worker_count(); ++w) {
    worker& replica = owner_.worker_at(w);
    std::lock_guard lock(replica.router_mutex_);
    const auto change = replica.router_.add(filter, group, r);
    // Replica 0 orders every change of every worker: the cluster learns them in order.
    if (w == 0 && change == router::change::first_local) owner_.route_changed(filter, true);
  }
}

void worker::remove_route(const std::string& filter, const std::string& group, subscriber_ref who) {
  for (std::size_t w = 0; w < owner_.worker_count(); ++w) {
    worker& replica = owner_.worker_at(w);
    std::lock_guard lock(replica.router_mutex_);
    const auto change = replica.router_.remove(filter, group, who);
    if (w == 0 && change == router::change::last_local) owner_.route_changed(filter, false);
  }
}

void worker::remote_route(const std::string& filter, std::uint16_t node, bool added) {
  std::lock_guard lock(router_mutex_);
  if (added) {
    router_.add_remote(filter, node);
  } else {
    router_.remove_remote(filter, node);
  }
}

std::size_t worker::forget_node(std::uint16_t node) {
  std::lock_guard lock(router_mutex_);
  return router_.remove_node(node);
}

void worker::local_filters(std::vector<std::string>& out) {
  std::lock_guard lock(router_mutex_);
  router_.local_filters(out);
}

void worker::send_forwards() {
  auto* cluster = owner_.cluster();
  for (std::size_t n = 0; n < forwards_.size(); ++n) {
    auto& batch = forwards_[n];
    if (batch.empty()) continue;
    const std::string* node = owner_.nodes().name(static_cast<std::uint16_t>(n));
    if (cluster != nullptr && node != nullptr) {
      std::uint8_t qos_max = 0;
      for (const auto& m : batch)
        qos_max = std::max(qos_max, m->qos);
      stats_.add(stats_.messages_forward, batch.size());
      cluster->forward(*node, encode_forward_batch(batch), qos_max);
    }
    batch.clear();
  }
}

void worker::redispatch_shared(session& s) {
  // QoS 1/2 messages a shared-subscription member took but did not acknowledge go to
  // another member of the same group (EMQX's redispatch on session termination).
  for (auto& d : s.take_undelivered()) {
    if (d.share.empty() || d.qos == 0 || !d.msg) continue;
    const auto nl = d.share.find('\n');
    std::optional<route> target;
    {
      std::lock_guard lock(router_mutex_);
      share_group* g = router_.find_group(d.share.substr(nl + 1), d.share.substr(0, nl));
      if (g == nullptr) continue;
      const std::size_t i = pick_member(*g, cfg().mqtt.shared_subscription_strategy, d.msg->topic,
                                        d.msg->publisher, index_, rng_, s.id());
      if (i != SIZE_MAX && g->members[i].who.session_id != s.id()) target = g->members[i];
    }
    if (target) dispatch(*target, d.msg, d.share, nullptr);
  }
}

}  // namespace emqx_cpp::broker
