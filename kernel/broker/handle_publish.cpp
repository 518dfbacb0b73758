// SPDX-License-Identifier: Apache-2.0
//
// PUBLISH in both directions and its acknowledgements: inbound topic aliases, the
// server's QoS and retain capabilities, authorization, QoS 2 duplicate suppression,
// retained storage, routing; outbound encoding with per-subscriber properties
// (subscription identifiers, remaining expiry, topic alias) and the client's Maximum
// Packet Size.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

using mqtt::packet_type;
using mqtt::protocol_version;
using mqtt::reason_code;

namespace {
// Payloads from this size on are written from the message rather than copied into the
// connection's output: below it a copy costs less than an iovec and a reference.
constexpr std::size_t shared_payload_min = 4096;

// Nobody deciding means allowed, until an authorization plugin sets no_match.
bool is_allowed(const plugin::chain_result& r) {
  return !(r.result == ECP_HOOK_STOP && r.reply.code != ECP_OK);
}
}  // namespace

channel::topic_aliases& channel::aliases() {
  if (!aliases_) aliases_ = std::make_unique<topic_aliases>();
  return *aliases_;
}

void channel::handle_publish(mqtt::publish_packet& p) {
  const auto& m = worker_.cfg().mqtt;
  if (p.props && p.props->topic_alias) {
    const std::uint16_t alias = *p.props->topic_alias;
    if (alias == 0 || alias > m.max_topic_alias) {
      protocol_violation(reason_code::topic_alias_invalid,
                         fmt::format("topic alias {} outside 1..{}", alias, m.max_topic_alias));
      return;
    }
    if (p.topic.empty()) {
      auto it = aliases().inbound.find(alias);
      if (it == aliases().inbound.end()) {
        protocol_violation(reason_code::protocol_error,
                           fmt::format("unknown topic alias {} [MQTT-3.3.2-7]", alias));
        return;
      }
      p.topic = it->second;
    } else {
      aliases().inbound[alias] = p.topic;
    }
  }
  if (!mqtt::valid_topic_name(p.topic, m.max_topic_levels)) {
    protocol_violation(reason_code::topic_name_invalid, "invalid topic name " + p.topic);
    return;
  }
  if (p.qos > m.max_qos_allowed) {
    protocol_violation(reason_code::qos_not_supported,
                       fmt::format("QoS {} above max_qos_allowed", p.qos));
    return;
  }
  if (p.retain && !m.retain_available) {
    protocol_violation(reason_code::retain_not_supported, "retain is not available");
    return;
  }
  if (p.props && !p.props->subscription_identifiers.empty()) {
    protocol_violation(reason_code::protocol_error,
                       "subscription identifier in a client PUBLISH [MQTT-3.3.4-6]");
    return;
  }
  worker_.stats().add(worker_.stats().messages_received);
  if (worker_.hooks().empty(ECP_HOOK_CLIENT_AUTHORIZE)) {
    publish_authorized(true, p);
    return;
  }
  std::string key = authz_cache::key(ECP_ACTION_PUBLISH, p.qos, p.retain, p.topic);
  if (const auto cached = cached_decision(key)) {
    publish_authorized(*cached, p);
    return;
  }
  pending_publish_ = std::make_unique<mqtt::publish_packet>(std::move(p));
  auto frame = new_frame(ECP_HOOK_CLIENT_AUTHORIZE);
  frame->topic = pending_publish_->topic;
  frame->event.topic = frame->topic.c_str();
  frame->event.qos = pending_publish_->qos;
  frame->event.retain = pending_publish_->retain ? 1 : 0;
  frame->event.action = ECP_ACTION_PUBLISH;
  const auto r = begin_access(std::move(frame), [this, key](const plugin::chain_result& later) {
    if (state_ == state::closed || !pending_publish_) return;
    const auto held = std::move(pending_publish_);
    remember_decision(key, is_allowed(later));
    publish_authorized(is_allowed(later), *held);
  });
  if (!r) return;  // suspended until the answer
  const auto held = std::move(pending_publish_);
  remember_decision(key, is_allowed(*r));
  publish_authorized(is_allowed(*r), *held);
}

void channel::publish_authorized(bool allowed, mqtt::publish_packet& p) {
  const auto& m = worker_.cfg().mqtt;
  const bool v5 = version_ == protocol_version::v5;
  const auto ack_type = p.qos == 2 ? packet_type::pubrec : packet_type::puback;

  auto msg = std::make_shared<message>();
  msg->topic = std::move(p.topic);
  msg->payload = std::move(p.payload);
  msg->qos = p.qos;
  msg->retain = p.retain;
  msg->publisher = client_.client_id;
  worker_.stamp(*msg);
  if (!allowed) {
    worker_.log().info("publish_denied client={} topic={}", client_.client_id, msg->topic);
    worker_.message_dropped(*msg, "not_authorized", reason_code::not_authorized);
    // EMQX's deny_action = ignore: v5 learns why from the reason code, v3 gets a plain ack.
    if (p.qos > 0)
      ack_publish(ack_type, p.packet_id, v5 ? reason_code::not_authorized : reason_code::success);
    return;
  }
  if (p.qos == 2) {
    const auto now = std::chrono::steady_clock::now();
    switch (session_->await_rel(p.packet_id, now)) {
      case session::rel_status::accepted:
        arm_session_timer(now);
        break;
      case session::rel_status::duplicate:
        // Already routed: a retransmission (DUP) is acknowledged again; a new message
        // reusing an id still waiting for PUBREL gets 0x91, as from EMQX (v5 only).
        // Neither is delivered twice.
        ack_publish(packet_type::pubrec, p.packet_id,
                    p.dup || !v5 ? reason_code::success : reason_code::packet_identifier_in_use);
        return;
      case session::rel_status::too_many:
        worker_.stats().add(worker_.stats().messages_dropped_receive_maximum);
        worker_.message_dropped(*msg, "receive_maximum", reason_code::receive_maximum_exceeded);
        protocol_violation(reason_code::receive_maximum_exceeded,
                           "more QoS 2 messages awaiting PUBREL than max_awaiting_rel");
        return;
    }
  }

  std::uint32_t expiry_s = 0;
  if (p.props) {
    if (p.props->message_expiry_interval) expiry_s = *p.props->message_expiry_interval;
    p.props->message_expiry_interval.reset();
    p.props->topic_alias.reset();
    if (*p.props != mqtt::properties{}) msg->props = std::move(p.props);
  }
  if (expiry_s != 0) {
    msg->expires_at = steady_clock::now() + std::chrono::seconds(expiry_s);
  } else if (m.message_expiry_interval_ms != 0) {
    msg->expires_at = steady_clock::now() + std::chrono::milliseconds(m.message_expiry_interval_ms);
  }
  if (!worker_.run_publish_hooks(*msg, &client_)) {
    // A hook dropped it: the publisher is still acknowledged (the message was handled).
    worker_.message_dropped(*msg, "dropped_by_hook", reason_code::success);
    if (p.qos > 0) ack_publish(ack_type, p.packet_id, reason_code::success);
    return;
  }
  worker_.retain(msg);
  // With a session store that keeps sessions change by change, the acknowledgement
  // waits until every persistent session the message goes to has it kept.
  std::shared_ptr<ack_barrier> barrier;
  std::uint64_t hold = 0;
  if (p.qos > 0 && worker_.journaling()) {
    hold = hold_ack(ack_type, p.packet_id);
    barrier = std::make_shared<ack_barrier>([w = &worker_, id = id_, hold] {
      w->loop().post([w, id, hold] {
        if (channel* ch = w->channel_by_id(id)) ch->release_ack(hold);
        w->request_flush();
      });
    });
  }
  worker_.publish(
      msg,
      [&](std::size_t matched) {
        if (p.qos == 0) return;
        const auto code =
            matched == 0 && v5 ? reason_code::no_matching_subscribers : reason_code::success;
        if (hold != 0) {
          set_held_code(hold, code);
        } else {
          ack_publish(ack_type, p.packet_id, code);
        }
      },
      barrier, id_);
  if (barrier) barrier->resolve();  // the publisher's own hold
}

std::uint64_t channel::hold_ack(mqtt::packet_type type, std::uint16_t packet_id) {
  if (!held_) held_ = std::make_unique<std::deque<held_ack>>();
  const std::uint64_t id = next_hold_++;
  held_->push_back(held_ack{id, type, packet_id, reason_code::success, false});
  if (hold_timer_ == 0) {
    // A store that does not answer must not stall the publisher for good.
    hold_timer_ = worker_.loop().schedule(
        std::chrono::milliseconds(worker_.cfg().plugins.hook_timeout_ms), [this] {
          hold_timer_ = 0;
          if (!held_ || held_->empty()) return;
          worker_.log().warn(
              "ack_release_timeout client={} held={} reason=\"the session "
              "store did not confirm in time\"",
              client_.client_id, held_->size());
          for (auto& h : *held_)
            h.released = true;
          send_released_acks();
          worker_.request_flush();
        });
  }
  return id;
}

void channel::set_held_code(std::uint64_t hold, reason_code code) {
  for (auto& h : *held_)
    if (h.id == hold) h.code = code;
}

void channel::release_ack(std::uint64_t hold) {
  if (!held_) return;
  for (auto& h : *held_)
    if (h.id == hold) h.released = true;
  send_released_acks();
}

void channel::ack_publish(mqtt::packet_type type, std::uint16_t packet_id, reason_code code) {
  // Acknowledgements leave in the order the PUBLISH packets came [MQTT-4.6.0-2]: behind
  // any still held.
  if (held_ && !held_->empty()) {
    held_->push_back(held_ack{next_hold_++, type, packet_id, code, true});
    return;
  }
  send_ack(type, packet_id, code);
}

void channel::send_released_acks() {
  while (held_ && !held_->empty() && held_->front().released) {
    const auto h = held_->front();
    held_->pop_front();
    if (state_ != state::closed) send_ack(h.type, h.packet_id, h.code);
  }
  if (held_ && held_->empty()) {
    worker_.loop().cancel(hold_timer_);
    hold_timer_ = 0;
  }
}

void channel::handle_ack(const mqtt::ack_packet& a) {
  const auto now = std::chrono::steady_clock::now();
  bool known = true;
  message_ptr acked;
  message_ptr* want_acked = worker_.hooks().empty(ECP_HOOK_MESSAGE_ACKED) ? nullptr : &acked;
  switch (a.type) {
    case packet_type::puback:
      known = session_->on_puback(a.packet_id, this, now, worker_.delivery_counts(), want_acked);
      break;
    case packet_type::pubrec:
      known = session_->on_pubrec(a.packet_id, mqtt::is_error(a.code), this, now,
                                  worker_.delivery_counts(), want_acked);
      if (!known) {
        // Answer an unknown PUBREC so the client can finish its side of the flow.
        send_ack(packet_type::pubrel, a.packet_id,
                 version_ == protocol_version::v5 ? reason_code::packet_identifier_not_found
                                                  : reason_code::success);
      }
      break;
    case packet_type::pubrel: {
      const bool had = session_->release(a.packet_id);
      send_ack(packet_type::pubcomp, a.packet_id,
               had || version_ != protocol_version::v5 ? reason_code::success
                                                       : reason_code::packet_identifier_not_found);
      break;
    }
    case packet_type::pubcomp:
      known = session_->on_pubcomp(a.packet_id, this, now, worker_.delivery_counts());
      break;
    default:
      break;
  }
  if (!known)
    worker_.log().debug("unknown_packet_id client={} type={} packet_id={}", client_.client_id,
                        to_string(a.type), a.packet_id);
  worker_.flow().drained(*session_);
  if (acked) {
    auto frame = new_frame(ECP_HOOK_MESSAGE_ACKED);
    ecp_message handle{const_cast<message*>(acked.get()), false};
    frame->event.message = &handle;
    plugin::notify(worker_.hooks(), ECP_HOOK_MESSAGE_ACKED, frame->event);
  }
  wrote();
}

bool channel::send_publish(const delivery& d, std::uint16_t packet_id, bool dup) {
  if (!conn_ || conn_->closed()) return false;
  const message& msg = *d.msg;
  const auto now = steady_clock::now();
  mqtt::publish_view v;
  v.topic = msg.topic;
  v.payload = msg.payload;
  v.qos = d.qos;
  v.retain = d.retain;
  v.dup = dup;
  v.packet_id = packet_id;
  v.props = msg.props.get();
  bool new_alias = false;
  if (version_ == protocol_version::v5) {
    v.message_expiry = msg.remaining_expiry(now);
    if (d.subscription_id != 0) v.subscription_ids = std::span(&d.subscription_id, 1);
    if (client_alias_max_ != 0) {
      auto& to_client = aliases().outbound;
      auto it = to_client.find(msg.topic);
      if (it != to_client.end()) {
        v.topic_alias = it->second;
        v.topic = {};
      } else if (to_client.size() < client_alias_max_) {
        v.topic_alias = static_cast<std::uint16_t>(to_client.size() + 1);
        new_alias = true;
      }
    }
  }
  if (client_max_packet_ != 0 && mqtt::publish_size(v, version_) > client_max_packet_) {
    // [MQTT-3.1.2-25]: never send a packet larger than the client accepts; the session
    // drops it (delivery.dropped, too_large).
    return false;
  }
  // message.delivered fires once for what is actually sent, and only for that.
  if (!dup && !worker_.hooks().empty(ECP_HOOK_MESSAGE_DELIVERED)) {
    auto frame = new_frame(ECP_HOOK_MESSAGE_DELIVERED);
    ecp_message handle{const_cast<message*>(&msg), false};
    frame->event.message = &handle;
    plugin::notify(worker_.hooks(), ECP_HOOK_MESSAGE_DELIVERED, frame->event);
  }
  // The alias is only known to the client once a packet carrying topic and alias left.
  if (new_alias) aliases_->outbound.emplace(msg.topic, v.topic_alias);
  if (msg.payload.size() >= shared_payload_min) {
    // Written from the shared message itself: one copy less per subscriber.
    mqtt::encode_publish_header(v, version_, conn_->output());
    conn_->append_shared(d.msg, msg.payload);
  } else {
    mqtt::encode_publish(v, version_, conn_->output());
  }
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
  if (const auto retry = worker_.cfg().mqtt.retry_interval_ms;
      packet_id != 0 && session_timer_ == 0 && retry != 0)
    arm_session_timer(now, now + std::chrono::milliseconds(retry));
  return true;
}

}  // namespace emqx_cpp::broker
