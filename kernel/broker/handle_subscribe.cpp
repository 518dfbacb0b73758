// SPDX-License-Identifier: Apache-2.0
//
// SUBSCRIBE and UNSUBSCRIBE: per-filter checks with their SUBACK reason codes (invalid
// filter, shared or wildcard subscriptions disabled, quota, authorization), routes in
// the router, and retained messages by retain handling once the SUBACK is out.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

using mqtt::protocol_version;
using mqtt::reason_code;

void channel::handle_subscribe(const mqtt::subscribe_packet& s) {
  const auto& m = worker_.cfg().mqtt;
  const std::uint32_t sub_id =
      s.props.subscription_identifiers.empty() ? 0 : s.props.subscription_identifiers.front();
  mqtt::suback_packet ack;
  ack.packet_id = s.packet_id;
  struct retained_job {
    std::string filter;
    subscription sub;
  };
  std::vector<retained_job> retained;
  auto& subs = session_->subscriptions();
  for (const auto& e : s.entries) {
    auto parsed = mqtt::parse_filter(e.filter);
    if (!parsed || !mqtt::valid_topic_filter(parsed->filter, m.max_topic_levels)) {
      ack.codes.push_back(reason_code::topic_filter_invalid);
      continue;
    }
    if (parsed->shared() && e.options.no_local) {
      protocol_violation(reason_code::protocol_error,
                         "no local on a shared subscription [MQTT-3.8.3-4]");
      return;
    }
    if (parsed->shared() && !m.shared_subscription) {
      ack.codes.push_back(reason_code::shared_subscriptions_not_supported);
      continue;
    }
    if (!m.wildcard_subscription && mqtt::has_wildcard(parsed->filter)) {
      ack.codes.push_back(reason_code::wildcard_subscriptions_not_supported);
      continue;
    }
    const bool exists = subs.count(e.filter) != 0;
    if (!exists && m.max_subscriptions != 0 && subs.size() >= m.max_subscriptions) {
      ack.codes.push_back(reason_code::quota_exceeded);
      continue;
    }
    if (worker_.owner().hooks().authorize(client_, access_action::subscribe, e.filter,
                                          e.options.qos, false) == authz_outcome::deny) {
      ack.codes.push_back(reason_code::not_authorized);
      continue;
    }
    subscription sub;
    sub.group = parsed->group;
    sub.filter = parsed->filter;
    sub.opts = e.options;
    sub.opts.qos = std::min(e.options.qos, m.max_qos_allowed);
    sub.subscription_id = sub_id;
    subs[e.filter] = sub;
    route r;
    r.who = subscriber_ref{worker_.index(), session_->id()};
    r.opts = sub.opts;
    r.subscription_id = sub_id;
    worker_.add_route(sub.filter, sub.group, r);
    if (!exists) {
      worker_.stats().add(worker_.stats().subscriptions);
      if (sub.shared()) worker_.stats().add(worker_.stats().shared_subscriptions);
    }
    ack.codes.push_back(static_cast<reason_code>(sub.opts.qos));
    worker_.log().debug("subscribed client={} filter={} qos={} new={}", client_.client_id, e.filter,
                        sub.opts.qos, !exists);
    // Shared subscriptions get no retained messages (as EMQX); retain handling 1 sends
    // them only for a new subscription, 2 never [MQTT-3.3.1-10] [MQTT-3.3.1-11].
    const auto rh = sub.opts.retain_handling;
    if (!sub.shared() && (rh == 0 || (rh == 1 && !exists))) retained.push_back({sub.filter, sub});
  }
  mqtt::encode_suback(ack, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
  for (const auto& job : retained)
    deliver_retained(job.filter, job.sub);
}

void channel::deliver_retained(const std::string& filter, const subscription& sub) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& msg : worker_.owner().retained().match(filter, now)) {
    delivery d;
    d.qos = std::min(msg->qos, sub.opts.qos);
    d.retain = true;  // retained on subscribe always carry RETAIN=1 [MQTT-3.3.1-9]
    d.subscription_id = sub.subscription_id;
    d.msg = std::move(msg);
    session_->deliver(std::move(d), this, now, delivery_stats_);
  }
}

void channel::handle_unsubscribe(const mqtt::unsubscribe_packet& u) {
  mqtt::unsuback_packet ack;
  ack.packet_id = u.packet_id;
  auto& subs = session_->subscriptions();
  for (const auto& f : u.filters) {
    auto it = subs.find(f);
    if (it == subs.end()) {
      ack.codes.push_back(reason_code::no_subscription_existed);
      continue;
    }
    worker_.remove_route(it->second.filter, it->second.group,
                         subscriber_ref{worker_.index(), session_->id()});
    worker_.stats().sub(worker_.stats().subscriptions);
    if (it->second.shared()) worker_.stats().sub(worker_.stats().shared_subscriptions);
    subs.erase(it);
    ack.codes.push_back(reason_code::success);
  }
  mqtt::encode_unsuback(ack, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
}

}  // namespace emqx_cpp::broker
