// SPDX-License-Identifier: Apache-2.0
//
// One I/O worker: an event loop on its own thread that owns the connections accepted
// on it, the sessions whose client ids hash to it, and a replica of the router. All of
// that state is touched only by this thread.
//
// Work that crosses workers goes through the target's inbox as batches: deliveries for
// sessions living elsewhere and connections handed over to the worker that owns their
// client id. Batches and socket writes are collected during an event-loop iteration
// and sent once at its end (one post per worker, one write per connection).
//
// The router replica is the exception: a subscribe writes every replica at once, each
// under that replica's own lock, which its worker also takes around each match. The
// lock is uncontended except while a subscribe is being applied, and a publish that
// follows a SUBSCRIBE on any connection finds the route (docs/design/router.md).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/client_info.hpp"
#include "broker/flow_control.hpp"
#include "broker/message.hpp"
#include "broker/router.hpp"
#include "broker/session.hpp"
#include "broker/session_codec.hpp"
#include "broker/session_journal.hpp"
#include "config/broker_config.hpp"
#include "mqtt/packets.hpp"
#include "net/tcp_connection.hpp"
#include "net/tcp_listener.hpp"
#include "plugin/hook_registry.hpp"
#include "plugin/host_services.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/timer_wheel.hpp"

struct event;

namespace emqx_cpp::broker {

class broker;
class channel;

// A connection moving to the worker that owns its client id, with the CONNECT that
// named it and whatever the client sent after it.
struct handover {
  int fd = -1;
  std::string peer;
  std::string unparsed;
  mqtt::connect_packet connect;
  std::size_t listener = 0;
  bool over_limit = false;
  bool assigned_id = false;
};

struct remote_delivery {
  std::uint64_t session_id = 0;
  std::uint64_t source = 0;  // the publisher's channel on the sending worker; 0: none
  bool no_local = false;
  delivery d;
};

// Counters written only by the owning worker and read by $SYS and metrics from other
// threads; relaxed atomics make the reads well defined at the cost of nothing.
struct worker_stats {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> sessions{0};
  std::atomic<std::uint64_t> subscriptions{0};
  std::atomic<std::uint64_t> shared_subscriptions{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> packets_received{0};
  std::atomic<std::uint64_t> packets_sent{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  // Whole messages that went nowhere (EMQX's messages.dropped and its reasons).
  std::atomic<std::uint64_t> messages_dropped{0};
  std::atomic<std::uint64_t> messages_dropped_no_subscribers{0};
  std::atomic<std::uint64_t> messages_dropped_await_pubrel_timeout{0};
  std::atomic<std::uint64_t> messages_dropped_receive_maximum{0};
  std::atomic<std::uint64_t> messages_forward{0};  // sent to other nodes
  // One subscriber's copy dropped (delivery.dropped), by drop_reason.
  std::atomic<std::uint64_t> delivery_dropped{0};
  std::array<std::atomic<std::uint64_t>, drop_reason_count> delivery_dropped_by{};
  std::atomic<std::uint64_t> messages_retained{0};
  std::atomic<std::uint64_t> client_connected{0};
  std::atomic<std::uint64_t> client_disconnected{0};
  std::atomic<std::uint64_t> client_auth_failures{0};
  std::atomic<std::uint64_t> malformed_packets{0};
  // EMQX's authorization.* counters (client.authorize decisions and the cache).
  std::atomic<std::uint64_t> authorization_allow{0};
  std::atomic<std::uint64_t> authorization_deny{0};
  std::atomic<std::uint64_t> authorization_cache_hit{0};
  std::atomic<std::uint64_t> authorization_cache_miss{0};

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static void sub(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
};

class worker final : public drop_listener {
 public:
  struct session_slot {
    std::unique_ptr<session> s;
    channel* ch = nullptr;  // the connected channel, if any
    // The channel once its CONNACK went out, as other threads may read it
    // (client_snapshot); written under clients_mutex_.
    const channel* visible = nullptr;
    runtime::timer_id expiry_timer = 0;
    runtime::timer_id will_timer = 0;
    steady_clock::time_point will_due{};  // when will_timer fires
    // Restored from the session store at start: subscriptions and routes are here, what
    // it had in flight and queued is still only in the store (loaded when its client
    // comes back, or before it is saved again).
    bool stored_state = false;
  };

  worker(broker& owner, std::uint16_t index, std::size_t worker_count);
  ~worker() override;
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  std::uint16_t index() const { return index_; }
  runtime::event_loop& loop() { return loop_; }
  broker& owner() { return owner_; }
  const config::broker_config& cfg() const;
  worker_stats& stats() { return stats_; }
  // What sessions did with messages in this loop cycle; added to stats() at its end.
  delivery_stats& delivery_counts() { return delivery_; }
  std::mt19937_64& rng() { return rng_; }
  spdlog::logger& log() { return *log_; }

  // Runs `f(ch)`. An exception escaping it is logged and closes `ch` only (0x83, as a
  // crashed connection process in EMQX): the worker and its other clients go on. `ch`
  // may be null, for work no single client owns.
  template <class F>
  void contained(channel* ch, const char* where, F&& f) {
    try {
      f(ch);
    } catch (const std::exception& e) {
      escaped(ch, where, e.what());
    } catch (...) {
      escaped(ch, where, "unknown exception");
    }
  }

  // Runs the loop on the calling thread until stop_loop().
  void run();
  void stop_loop();

  // --- everything below runs on this worker's thread ---
  result<std::uint16_t> open_listener(std::size_t listener, std::uint16_t port);
  void close_listeners();
  // Server shutdown: v5 clients get DISCONNECT 0x8B, output is flushed, sockets close.
  void disconnect_all();
  std::size_t channel_count() const { return channels_.size(); }

  void adopt(handover h);
  // The channel with this id, if it is still open (async hook answers find theirs).
  channel* channel_by_id(std::uint64_t id);
  std::uint64_t new_channel_id() { return next_channel_++; }
  plugin::hook_cache& hooks() { return hooks_; }
  // A closed channel; it is destroyed at the end of the loop iteration.
  void retire(channel* ch);
  // Arms a channel's CONNECT or keepalive deadline on this worker's timer wheel.
  void arm_deadline(runtime::wheel_hook& h, std::chrono::steady_clock::time_point due);
  // A channel with output to write at the end of this iteration.
  void mark_dirty(channel* ch);
  void request_flush();
  // Keeps a connection whose channel is gone until its output is written (or for a
  // few seconds at most), then closes it.
  void linger(std::unique_ptr<net::tcp_connection> conn);

  // Sessions of client ids owned by this worker.
  session_slot* find_session(std::string_view client_id);
  session_slot* find_session(std::uint64_t session_id);
  session_slot& create_session(const std::string& client_id, const session_limits& limits);
  // Ends a session: its routes go, a pending will is published, shared-subscription
  // messages it did not acknowledge go to other members of their groups.
  void end_session(const std::string& client_id, const char* why);
  // The client left; keep the session for its expiry interval (or end it now).
  void park_session(session_slot& slot);
  // Connected clients as the plugin host sees them (api_client_info): published by the
  // channel after its CONNACK, withdrawn when it closes. client_snapshot() may be
  // called from any thread.
  void show_client(const channel& ch);
  void hide_client(const channel& ch);
  std::optional<plugin::client_snapshot> client_snapshot(std::string_view client_id) const;

  void schedule_will(session_slot& slot, mqtt::will_message will, std::uint32_t delay_s);
  void schedule_will(session_slot& slot, mqtt::will_message will, std::chrono::milliseconds delay);

  // ---- the session store (session_persistence.cpp) ----
  // A session the store listed: back on this worker, routed, its expiry and delayed
  // will armed again; its in-flight and queued messages stay in the store until needed.
  void restore_session(stored_session s);
  // Writes the whole session to the store, if there is one.
  void save_session(session_slot& slot);
  // Every session of this worker to the store; sessions whose state is partly still in
  // the store are loaded and merged first. `outstanding` counts the loads in progress.
  void save_all(const std::shared_ptr<std::atomic<int>>& outstanding);
  // Whether the store may hold `client_id` (it listed it, or this worker saved it):
  // only then is it asked to load or erase it. A store that cannot list (a 1.0
  // provider) may hold anything.
  bool store_may_hold(const std::string& client_id);
  // Erases `client_id` from the store if it may hold it.
  void forget_stored(const std::string& client_id);
  // Adds the in-flight and queued messages loaded from the store to a session restored
  // without them (before what it queued since).
  void merge_stored(session_slot& slot, stored_session& s);
  std::uint64_t new_wait_id() { return next_wait_++; }
  // Whether the session store keeps sessions change by change (ABI 1.1 on_apply).
  bool journaling();
  // The batch this worker's persistent sessions write their changes into; sent to the
  // store at the end of the loop iteration.
  change_batch& journal() { return journal_; }
  // Starts keeping `slot`'s session change by change, if it outlives its connection and
  // the store takes changes: the whole session is written first, as the base.
  void start_journal(session_slot& slot);
  // A message entering the broker on this worker gets its id and its timestamp.
  void stamp(message& m) {
    const std::uint64_t us = wall_clock_us();
    m.id = ids_.next(us);
    m.timestamp_ms = us / 1000;
  }
  void cancel_will(session_slot& slot);

  // Routes `m` to every matching subscription; returns how many matched.
  // `before_delivery` runs after matching and before any delivery, with the count: the
  // publisher's PUBACK goes out first, so a client subscribed to its own topic sees
  // the acknowledgement before the message, as with other brokers.
  // `barrier`: the publisher's acknowledgement waiting for the session stores (each
  // dispatched copy holds it until resolved).
  // `source`: the channel on this worker that published it (flow control holds it back
  // when a subscriber's queue is over its mark); 0 for anything else.
  std::size_t publish(const message_ptr& m,
                      const std::function<void(std::size_t)>& before_delivery = {},
                      const std::shared_ptr<ack_barrier>& barrier = nullptr,
                      std::uint64_t source = 0);
  void add_route(const std::string& filter, const std::string& group, const route& r);
  void remove_route(const std::string& filter, const std::string& group, subscriber_ref who);
  // ---- the cluster (any thread; each takes this replica's lock) ----
  // Another node subscribes to `filter` (or stopped).
  void remote_route(const std::string& filter, std::uint16_t node, bool added);
  // Forgets every route of `node` in this replica; returns how many.
  std::size_t forget_node(std::uint16_t node);
  // Every filter with a local subscriber, from this replica.
  void local_filters(std::vector<std::string>& out);
  // Route and filter counts of this replica (read from any thread).
  std::size_t route_count() const { return router_.route_count(); }
  std::size_t filter_count() const { return router_.filter_count(); }

  // Delivers to a session on this worker.
  void deliver_local(std::uint64_t session_id, delivery d, bool no_local, publisher_ref from = {});
  flow_control& flow() { return flow_; }
  // A channel stopped at a PUBLISH because the node is over its memory budget; it is
  // read again by release_overload_holds() once the node is back under it.
  void hold_for_overload(std::uint64_t channel_id) { overload_held_.push_back(channel_id); }
  void release_overload_holds();
  std::uint64_t new_session_id();

  void publish_will(const session& s, const mqtt::will_message& will);
  // A message from the broker itself or a plugin: message.publish hooks, the retained
  // store, then routing.
  void publish_from_host(const std::shared_ptr<message>& m);
  // Keeps a message published with RETAIN as its topic's retained message (an empty
  // payload clears it).
  void retain(const message_ptr& m);
  // Runs message.publish on a message not yet shared; false if a hook dropped it.
  bool run_publish_hooks(message& m, const client_info* publisher);
  // session.* notifications (and delivery.dropped) for a session on this worker; a
  // message and a reason name go with the ones that have them.
  void notify_session(ecp_hook_point hook, const session& s, int reason = 0,
                      const message* msg = nullptr, const char* reason_name = nullptr);
  // A whole message went nowhere: counts messages.dropped and fires message.dropped with
  // EMQX's reason name (the specific counter is the caller's).
  void message_dropped(const message& m, const char* reason_name, mqtt::reason_code code);
  // drop_listener: one subscriber's copy was dropped (delivery.dropped).
  void delivery_dropped(const session& s, const delivery& d, drop_reason why) override;

 private:
  void escaped(channel* ch, const char* where, const char* what);
  static void on_flush_event(int fd, short what, void* self);
  void end_of_iteration();
  void dispatch(const route& r, const message_ptr& m, std::string share,
                const std::shared_ptr<ack_barrier>& barrier, std::uint64_t source = 0);
  void receive_deliveries(std::vector<remote_delivery> batch, std::uint16_t from_worker);
  void redispatch_shared(session& s);
  void accept(net::accepted_socket s, std::size_t listener);

  broker& owner_;
  const std::uint16_t index_;
  runtime::event_loop loop_;
  std::shared_ptr<spdlog::logger> log_;
  worker_stats stats_;
  delivery_stats delivery_;
  void report_deliveries();
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<net::tcp_listener>> listeners_;
  std::unordered_map<std::uint64_t, std::unique_ptr<channel>> channels_;  // by channel id
  std::uint64_t next_channel_ = 1;
  plugin::hook_cache hooks_;
  std::vector<std::unique_ptr<channel>> retired_;
  std::vector<channel*> dirty_;
  struct lingering {
    std::unique_ptr<net::tcp_connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<lingering> lingering_;
  runtime::timer_id linger_timer_ = 0;
  void sweep_lingering();
  ::event* flush_ev_ = nullptr;
  bool flush_pending_ = false;
  // Keyed by a view of the session's own client id, which lives as long as the slot.
  // Changed only on this worker's thread, under clients_mutex_ so that
  // client_snapshot() can read it from others.
  std::unordered_map<std::string_view, session_slot> sessions_;
  mutable std::mutex clients_mutex_;
  std::unordered_map<std::uint64_t, session_slot*> session_ids_;
  std::uint64_t next_session_ = 1;
  std::uint64_t next_wait_ = 1;
  std::unordered_set<std::string> stored_ids_;  // client ids the session store may hold
  change_batch journal_;
  void send_journal();
  struct hit {
    route r;
    std::string share;  // "group\nfilter" for a shared subscription
  };
  std::mutex router_mutex_;
  router router_;
  std::vector<hit> hits_;  // reused by publish() so matching allocates nothing
  std::vector<std::vector<remote_delivery>> outbox_;  // per target worker
  // Messages for other nodes of the cluster, by node index, sent at the end of the loop
  // iteration.
  std::vector<std::vector<message_ptr>> forwards_;
  void send_forwards();
  // Connection deadlines: one hook per channel, one libevent timer per worker that
  // ticks while any is armed.
  runtime::timer_wheel deadlines_;
  ::event* deadline_tick_ev_ = nullptr;
  static void on_deadline_tick(int fd, short what, void* self);
  message_ids ids_;
  std::vector<std::uint64_t> overload_held_;
  // mqtt.mqueue_priorities by topic, and the priority of topics it does not list.
  std::unordered_map<std::string, std::uint16_t> priorities_;
  std::uint16_t default_priority_ = 0;
  flow_control flow_{*this};  // after loop_: it cancels its timer there when destroyed
};

}  // namespace emqx_cpp::broker
