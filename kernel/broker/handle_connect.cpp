// SPDX-License-Identifier: Apache-2.0
//
// CONNECT: client id rules, the listener's connection limit, hand-over to the worker
// that owns the client id, authentication, session take-over / discard / resume, and
// the CONNACK with the server's capabilities (EMQX's set of v5 properties).
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

using mqtt::protocol_version;
using mqtt::reason_code;

namespace {
std::string random_client_id(std::mt19937_64& rng) {
  return fmt::format("emqx-cpp-{:016x}", rng());
}
}  // namespace

void channel::refuse_connect(reason_code code, const std::string& why) {
  worker_.log().info("connect_refused client={} peer={} reason_code={:#04x} reason=\"{}\"",
                     client_.client_id, client_.peer, static_cast<int>(code), why);
  if (code == reason_code::bad_user_name_or_password || code == reason_code::not_authorized)
    worker_.stats().add(worker_.stats().client_auth_failures);
  mqtt::properties props;
  if (version_ == protocol_version::v5) props.reason_string = why;
  send_connack(false, code, std::move(props));
  close(close_kind::abnormal, std::nullopt, why);
}

void channel::handle_connect(mqtt::connect_packet& c) {
  deadline().disarm();
  version_ = c.version;
  if (worker_.owner().overloaded()) {
    // overload_protection: the node is over its memory budget.
    refuse_connect(reason_code::server_busy, "the server is over its memory budget");
    return;
  }
  const auto& m = worker_.cfg().mqtt;
  bool assigned = false;
  if (m.use_username_as_clientid && c.username && !c.username->empty()) c.client_id = *c.username;
  if (c.client_id.empty()) {
    // 3.1 requires 1 to 23 characters; 3.1.1 allows an empty id only with a clean
    // session [MQTT-3.1.3-8]; for 5.0 EMQX refuses it with Clean Start 0 as well, since
    // no later connection could resume a session under a generated id.
    if (version_ == protocol_version::v3_1 || !c.clean_start) {
      refuse_connect(reason_code::client_identifier_not_valid,
                     version_ == protocol_version::v3_1
                         ? "empty client id (MQTT 3.1 requires 1 to 23 characters)"
                         : "empty client id with clean start off [MQTT-3.1.3-8]");
      return;
    }
    // A generated id is chosen so that it belongs to this worker: no hand-over.
    do {
      c.client_id = random_client_id(worker_.rng());
    } while (worker_.owner().owner_of(c.client_id) != worker_.index());
    assigned = true;
  }
  client_.client_id = c.client_id;
  if (c.client_id.size() > m.max_clientid_len) {
    refuse_connect(reason_code::client_identifier_not_valid,
                   "client id longer than max_clientid_len");
    return;
  }
  auto& listener = worker_.owner().listener(listener_);
  const auto count = listener.connections.fetch_add(1, std::memory_order_relaxed) + 1;
  counted_ = true;
  if (listener.cfg.max_connections != 0 && count > listener.cfg.max_connections) {
    over_limit_ = true;
    listener.connections.fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
  }
  const std::uint16_t owner = worker_.owner().owner_of(c.client_id);
  if (owner == worker_.index()) {
    connect_on_owner(std::move(c), assigned);
    return;
  }
  // The session for this client id lives on another worker: move the socket there.
  auto h = std::make_shared<handover>();
  h->fd = conn_->release(h->unparsed);
  h->peer = client_.peer;
  h->connect = std::move(c);
  h->listener = listener_;
  h->over_limit = over_limit_;
  h->assigned_id = assigned;
  counted_ = false;  // the slot travels with the connection
  state_ = state::closed;
  worker_.retire(this);
  worker& target = worker_.owner().worker_at(owner);
  target.loop().post([&target, h] { target.adopt(std::move(*h)); });
}

void channel::connect_on_owner(mqtt::connect_packet c, bool assigned_id) {
  const auto& m = worker_.cfg().mqtt;
  client_.client_id = c.client_id;
  client_.username = c.username;
  client_.version = version_;
  clean_start_ = c.clean_start;
  keepalive_ = c.keep_alive;
  if (over_limit_) {
    refuse_connect(reason_code::quota_exceeded, "listener max_connections reached");
    return;
  }
  if (c.props.authentication_method) {
    // Enhanced authentication needs an authenticator that knows the method.
    if (worker_.hooks().empty(ECP_HOOK_CLIENT_AUTHENTICATE)) {
      refuse_connect(
          reason_code::bad_authentication_method,
          "no authenticator takes authentication method " + *c.props.authentication_method);
      return;
    }
    eauth_ = std::make_unique<enhanced_auth>();
    eauth_->method = *c.props.authentication_method;
  }
  if (c.will && c.will->retain && !m.retain_available) {
    refuse_connect(reason_code::retain_not_supported, "will retain while retain is unavailable");
    return;
  }
  if (c.will && c.will->qos > m.max_qos_allowed) {
    refuse_connect(reason_code::qos_not_supported, "will QoS above max_qos_allowed");
    return;
  }
  notify(ECP_HOOK_CLIENT_CONNECT);
  if (state_ == state::closed) return;
  pending_assigned_ = assigned_id;
  auto frame = new_frame(ECP_HOOK_CLIENT_AUTHENTICATE);
  if (c.password) {
    frame->topic = *c.password;  // owned copy; the event points into it
    frame->event.password = frame->topic.data();
    frame->event.password_len = frame->topic.size();
  }
  if (eauth_) describe_auth(*frame, c.props.authentication_data);
  pending_connect_ = std::make_unique<mqtt::connect_packet>(std::move(c));
  if (worker_.hooks().empty(ECP_HOOK_CLIENT_AUTHENTICATE)) {
    authenticated(plugin::chain_result{});
    return;
  }
  if (eauth_) {
    if (auto r = begin_access(std::move(frame),
                              [this](const plugin::chain_result& later) { auth_step_done(later); }))
      auth_step_done(*r);
    return;
  }
  if (auto r = begin_access(std::move(frame),
                            [this](const plugin::chain_result& later) { authenticated(later); }))
    authenticated(*r);
}

void channel::authenticated(const plugin::chain_result& r) {
  if (state_ == state::closed || !pending_connect_) return;
  if (r.result == ECP_HOOK_STOP) {
    if (r.reply.code != ECP_OK) {
      const auto code = refusal_code(r.reply.code);
      const std::string by = refused_by(r);
      refuse_connect(code, "denied by " + by);
      return;
    }
    client_.is_superuser = r.reply.is_superuser != 0;
  } else if (!worker_.cfg().mqtt.allow_anonymous) {
    // Nobody decided: mqtt.allow_anonymous has the final word.
    refuse_connect(reason_code::not_authorized,
                   "no authenticator accepted the client and anonymous access is off");
    return;
  }
  open_session();
}

void channel::open_session() {
  const auto& c = *pending_connect_;
  auto* slot = worker_.find_session(c.client_id);
  if (c.clean_start) {
    if (slot == nullptr) worker_.forget_stored(c.client_id);  // a session only in the store
    finish_open_session(std::nullopt);
    return;
  }
  // Resuming: part or all of the session may still be only in the store.
  auto* store = worker_.owner().session_store();
  const bool in_store = slot != nullptr ? slot->stored_state : worker_.store_may_hold(c.client_id);
  if (store == nullptr || !in_store) {
    finish_open_session(std::nullopt);
    return;
  }
  // Documented fallback: a store that does not answer within plugins.hook_timeout leaves
  // the client with what this node has (a new session if nothing), and a warning.
  const auto wait = begin_provider_wait("session store: load " + c.client_id,
                                        [this] { finish_open_session(std::nullopt); });
  store->load(c.client_id, [w = &worker_, id = id_, wait](std::optional<std::string> blob) {
    w->loop().post([w, id, wait, blob = std::move(blob)] {
      w->contained(w->channel_by_id(id), "answer", [&](channel* ch) {
        if (ch == nullptr) return;
        ch->provider_answered(wait, [&] {
          std::optional<stored_session> st;
          std::string why;
          if (blob) st = decode_session(*blob, &why);
          if (blob && !st)
            w->log().warn("stored_session_unreadable client={} reason=\"{}\"",
                          ch->client().client_id, why);
          ch->finish_open_session(std::move(st));
        });
      });
      w->request_flush();
    });
  });
}

void channel::finish_open_session(std::optional<stored_session> stored) {
  if (state_ == state::closed || !pending_connect_) return;
  const auto& m = worker_.cfg().mqtt;
  const bool v5 = version_ == protocol_version::v5;
  mqtt::connect_packet c = std::move(*pending_connect_);
  pending_connect_.reset();
  const bool assigned_id = pending_assigned_;

  // Session: take over a connected one, discard or resume a stored one, or create.
  auto* slot = worker_.find_session(c.client_id);
  if (slot != nullptr && slot->ch != nullptr) {
    worker_.log().info("takeover client={} old_peer={} new_peer={}", c.client_id,
                       slot->ch->client().peer, client_.peer);
    slot->ch->kick(reason_code::session_taken_over, false);
    slot = worker_.find_session(c.client_id);
    if (slot != nullptr) worker_.notify_session(ECP_HOOK_SESSION_TAKENOVER, *slot->s);
  }
  bool present = false;
  if (slot != nullptr && c.clean_start) {
    worker_.end_session(c.client_id, "discarded");
    slot = nullptr;
  }
  session_limits limits;
  limits.max_inflight =
      std::min<std::uint16_t>(m.max_inflight, c.props.receive_maximum.value_or(65535));
  limits.max_mqueue_len = m.max_mqueue_len;
  limits.mqueue_store_qos0 = m.mqueue_store_qos0;
  limits.max_awaiting_rel = m.max_awaiting_rel;
  // A v5 client learns the broker's Receive Maximum from CONNACK (the inflight window
  // below); more QoS 2 messages awaiting PUBREL than that ends the connection with 0x93,
  // as the specification asks (section 3.3.4), even below max_awaiting_rel.
  if (version_ == protocol_version::v5 &&
      (limits.max_awaiting_rel == 0 || limits.max_awaiting_rel > limits.max_inflight))
    limits.max_awaiting_rel = limits.max_inflight;
  limits.upgrade_qos = m.upgrade_qos;
  if (slot != nullptr) {
    present = true;
    worker_.cancel_will(*slot);
    worker_.loop().cancel(slot->expiry_timer);
    slot->expiry_timer = 0;
    slot->s->limits() = limits;
    if (slot->stored_state) {
      if (stored) {
        worker_.merge_stored(*slot, *stored);
        worker_.log().info("session_state_loaded client={} from=session_store", c.client_id);
      } else {
        worker_.log().warn(
            "session_state_not_loaded client={} reason=\"no answer from the "
            "session store\"",
            c.client_id);
      }
      slot->stored_state = false;
    }
  } else {
    slot = &worker_.create_session(c.client_id, limits);
    if (stored) {
      // Only the store had it (saved by this node before it lost the session).
      present = true;
      session_ = slot->s.get();
      for (const auto& [raw, sub] : stored->subscriptions) {
        bool existed = false;
        add_subscription(raw, sub.opts, sub.subscription_id, &existed, false);
      }
      worker_.merge_stored(*slot, *stored);
      worker_.log().info("session_restored client={} subscriptions={}", c.client_id,
                         stored->subscriptions.size());
    }
  }
  slot->ch = this;
  session_ = slot->s.get();
  flow_control::online(*session_);
  session_->username = c.username.value_or("");
  connect_session_expiry_ =
      v5 ? c.props.session_expiry_interval.value_or(0)
         : (c.clean_start ? 0 : static_cast<std::uint32_t>(m.session_expiry_interval_ms / 1000));
  session_->expiry_interval = connect_session_expiry_;
  worker_.start_journal(*slot);

  if (v5 && m.server_keepalive != 0) keepalive_ = m.server_keepalive;
  will_ = c.will ? std::make_unique<mqtt::will_message>(std::move(*c.will)) : nullptr;
  will_delay_ = will_ ? will_->props.will_delay_interval.value_or(0) : 0;
  client_max_packet_ = c.props.maximum_packet_size.value_or(0);
  problem_information_ = c.props.request_problem_information.value_or(1) == 1;
  client_alias_max_ = std::min(c.props.topic_alias_maximum.value_or(0), m.max_topic_alias_outbound);

  mqtt::properties props;
  if (v5) {
    if (assigned_id) props.assigned_client_identifier = c.client_id;
    if (m.server_keepalive != 0) props.server_keep_alive = m.server_keepalive;
    props.maximum_packet_size = m.max_packet_size;
    // EMQX announces its inflight window, narrowed to the client's own Receive
    // Maximum; inbound QoS 2 beyond it ends the connection with 0x93 (QoS 1 is
    // acknowledged at once, so it never accumulates).
    props.receive_maximum = session_->limits().max_inflight;
    if (m.max_topic_alias != 0) props.topic_alias_maximum = m.max_topic_alias;
    // Stated even when available (the default), as EMQX does.
    props.retain_available = m.retain_available ? 1 : 0;
    if (m.max_qos_allowed < 2) props.maximum_qos = m.max_qos_allowed;
    props.wildcard_subscription_available = m.wildcard_subscription ? 1 : 0;
    props.shared_subscription_available = m.shared_subscription ? 1 : 0;
    props.subscription_identifier_available = 1;
    if (eauth_) {
      props.authentication_method = eauth_->method;
      if (!eauth_->final_data.empty()) props.authentication_data = eauth_->final_data;
      eauth_->final_data.clear();
    }
    if (c.props.request_response_information.value_or(0) == 1 && !m.response_information.empty())
      props.response_information = m.response_information;
  }
  state_ = state::connected;
  connected_at_ms_ = wall_clock_ms();
  last_activity_ = std::chrono::steady_clock::now();
  worker_.stats().add(worker_.stats().connections);
  worker_.stats().add(worker_.stats().client_connected);
  send_connack(present, reason_code::success, std::move(props));
  arm_keepalive();
  worker_.log().debug("connected client={} peer={} proto={} clean_start={} keepalive={}",
                      client_.client_id, client_.peer, static_cast<int>(version_), c.clean_start,
                      keepalive_);
  worker_.show_client(*this);
  shown_ = true;
  publish_client_event("connected");
  if (present) {
    worker_.notify_session(ECP_HOOK_SESSION_RESUMED, *session_);
    const auto now = std::chrono::steady_clock::now();
    session_->resume(this, now, worker_.delivery_counts());
    arm_session_timer(now);  // retries, and inbound QoS 2 ids kept while it was away
  }
  notify(ECP_HOOK_CLIENT_CONNECTED);
}

void channel::send_connack(bool session_present, reason_code code, mqtt::properties props) {
  notify(ECP_HOOK_CLIENT_CONNACK, static_cast<int>(code));
  if (!conn_ || conn_->closed()) return;
  mqtt::connack_packet ack;
  ack.session_present = session_present && code == reason_code::success;
  ack.code = code;
  ack.props = std::move(props);
  mqtt::encode_connack(ack, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
}

}  // namespace emqx_cpp::broker
