// SPDX-License-Identifier: Apache-2.0
//
// SUBSCRIBE and UNSUBSCRIBE: per-filter hooks (client.subscribe may rewrite or refuse a
// filter, client.authorize may answer later), per-filter checks with their SUBACK
// reason codes, routes in every router replica, and retained messages by retain
// handling once the SUBACK is out.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

using mqtt::reason_code;

namespace {
// Filters of one SUBSCRIBE handled before the worker turns to its other clients.
constexpr std::size_t filters_per_turn = 1024;

bool valid_filter(const std::string& filter, std::uint32_t max_levels) {
  auto parsed = mqtt::parse_filter(filter);
  return parsed && mqtt::valid_topic_filter(parsed->filter, max_levels);
}

// EMQX checks the syntax of every filter of a SUBSCRIBE or UNSUBSCRIBE as it decodes
// the packet and ends the connection with 0x8F on the first invalid one, before any
// hook runs. Limits (max_topic_levels) are checked per filter later, with a SUBACK code.
// `filter_of` maps an element of `items` to its filter.
template <class Items, class FilterOf>
const std::string* first_invalid(const Items& items, FilterOf filter_of) {
  for (const auto& item : items)
    if (!valid_filter(filter_of(item), 0)) return &filter_of(item);  // 0: any number of levels
  return nullptr;
}
}  // namespace

void channel::handle_subscribe(mqtt::subscribe_packet& s) {
  if (const auto* bad = first_invalid(
          s.entries,
          [](const mqtt::subscribe_entry& e) -> const std::string& { return e.filter; })) {
    protocol_violation(reason_code::topic_filter_invalid,
                       fmt::format("invalid topic filter \"{}\" in SUBSCRIBE", *bad));
    return;
  }
  auto job = std::make_unique<subscribe_job>();
  job->ack.packet_id = s.packet_id;
  job->packet = std::move(s);
  pending_subscribe_ = std::move(job);
  continue_subscribe();
}

void channel::continue_subscribe() {
  auto& job = *pending_subscribe_;
  const auto& m = worker_.cfg().mqtt;
  std::size_t handled = 0;
  while (job.next < job.packet.entries.size()) {
    if (handled++ == filters_per_turn) {
      // A SUBSCRIBE with tens of thousands of filters yields between batches, so the
      // other clients of this worker are served meanwhile.
      yield_subscribe();
      return;
    }
    const auto& e = job.packet.entries[job.next];
    std::string filter = e.filter;
    if (!worker_.hooks().empty(ECP_HOOK_CLIENT_SUBSCRIBE)) {
      auto frame = new_frame(ECP_HOOK_CLIENT_SUBSCRIBE);
      frame->topic = filter;
      frame->event.topic = frame->topic.c_str();
      frame->event.qos = e.options.qos;
      const auto r = plugin::run_chain(*worker_.hooks().shared_chain(ECP_HOOK_CLIENT_SUBSCRIBE), 0,
                                       frame->event);
      if (r.result == ECP_HOOK_STOP && r.reply.code != ECP_OK) {
        job.ack.codes.push_back(refusal_code(r.reply.code));
        ++job.next;
        continue;
      }
      if (frame->rewritten) filter = *frame->rewritten;
    }
    auto parsed = mqtt::parse_filter(filter);
    // A filter a hook rewrote into an invalid one, or an exclusive subscription, which
    // EMQX refuses unless exclusive subscriptions are enabled (off by default).
    if (!parsed || !mqtt::valid_topic_filter(parsed->filter, m.max_topic_levels) ||
        (parsed->exclusive && !m.exclusive_subscription)) {
      job.ack.codes.push_back(reason_code::topic_filter_invalid);
      ++job.next;
      continue;
    }
    if (parsed->shared() && e.options.no_local) {
      pending_subscribe_.reset();
      protocol_violation(reason_code::protocol_error,
                         "no local on a shared subscription [MQTT-3.8.3-4]");
      return;
    }
    if (parsed->shared() && !m.shared_subscription) {
      job.ack.codes.push_back(reason_code::shared_subscriptions_not_supported);
      ++job.next;
      continue;
    }
    if (!m.wildcard_subscription && mqtt::has_wildcard(parsed->filter)) {
      job.ack.codes.push_back(reason_code::wildcard_subscriptions_not_supported);
      ++job.next;
      continue;
    }
    const bool exists = session_->subscriptions().count(filter) != 0;
    if (!exists && m.max_subscriptions != 0 &&
        session_->subscriptions().size() >= m.max_subscriptions) {
      job.ack.codes.push_back(reason_code::quota_exceeded);
      ++job.next;
      continue;
    }
    job.current = filter;
    job.exclusive = parsed->exclusive;
    if (worker_.hooks().empty(ECP_HOOK_CLIENT_AUTHORIZE)) {
      subscribe_authorized(true);
      continue;
    }
    std::string key = authz_cache::key(ECP_ACTION_SUBSCRIBE, e.options.qos, false, filter);
    if (const auto cached = cached_decision(key)) {
      subscribe_authorized(*cached);
      continue;
    }
    auto frame = new_frame(ECP_HOOK_CLIENT_AUTHORIZE);
    frame->topic = filter;
    frame->event.topic = frame->topic.c_str();
    frame->event.qos = e.options.qos;
    frame->event.action = ECP_ACTION_SUBSCRIBE;
    const auto r = begin_access(std::move(frame), [this, key](const plugin::chain_result& later) {
      if (state_ == state::closed || !pending_subscribe_) return;
      const bool allowed = !(later.result == ECP_HOOK_STOP && later.reply.code != ECP_OK);
      remember_decision(key, allowed);
      subscribe_authorized(allowed);
      continue_subscribe();  // a fresh task: the stack does not grow per filter
    });
    if (!r) return;  // suspended; the answer goes on from the next filter
    const bool allowed = !(r->result == ECP_HOOK_STOP && r->reply.code != ECP_OK);
    remember_decision(key, allowed);
    subscribe_authorized(allowed);
  }
  finish_subscribe();
}

void channel::subscribe_authorized(bool allowed) {
  auto& job = *pending_subscribe_;
  const auto& entry = job.packet.entries[job.next];
  const auto& ids = job.packet.props.subscription_identifiers;
  const std::uint32_t sub_id = ids.empty() ? 0 : ids.front();
  if (!allowed) {
    job.ack.codes.push_back(reason_code::not_authorized);
  } else if (job.exclusive &&
             !worker_.owner().exclusive().claim(job.current.substr(11), client_.client_id)) {
    // Another client holds this exclusive subscription (EMQX answers 0x97).
    job.ack.codes.push_back(reason_code::quota_exceeded);
  } else {
    bool existed = false;
    job.ack.codes.push_back(
        static_cast<reason_code>(add_subscription(job.current, entry.options, sub_id, &existed)));
  }
  ++job.next;
}

void channel::yield_subscribe() {
  yielded_ = true;
  if (conn_) conn_->pause_reading();
  worker_.loop().post([w = &worker_, id = id_] {
    w->contained(w->channel_by_id(id), "subscribe", [](channel* ch) {
      if (ch == nullptr) return;
      ch->yielded_ = false;
      if (ch->pending_subscribe_) ch->continue_subscribe();
      ch->resume_input();
    });
    w->request_flush();
  });
}

std::uint8_t channel::add_subscription(const std::string& raw,
                                       const mqtt::subscription_options& opts, std::uint32_t sub_id,
                                       bool* existed, bool send_retained) {
  const auto& m = worker_.cfg().mqtt;
  auto parsed = mqtt::parse_filter(raw);
  auto& subs = session_->subscriptions();
  *existed = subs.count(raw) != 0;
  subscription sub;
  sub.group = parsed->group;
  sub.filter = parsed->filter;
  sub.exclusive = parsed->exclusive;
  sub.opts = opts;
  sub.opts.qos = std::min(opts.qos, m.max_qos_allowed);
  sub.subscription_id = sub_id;
  subs[raw] = sub;
  if (session_->journal() != nullptr) worker_.journal().subscribed(*session_, raw, sub);
  route r;
  r.who = subscriber_ref{worker_.index(), session_->id()};
  r.opts = sub.opts;
  r.subscription_id = sub_id;
  worker_.add_route(sub.filter, sub.group, r);
  if (!*existed) {
    worker_.stats().add(worker_.stats().subscriptions);
    if (sub.shared()) worker_.stats().add(worker_.stats().shared_subscriptions);
  }
  if (send_retained) publish_subscription_event(true, raw, &sub.opts);
  worker_.log().debug("subscribed client={} filter={} qos={} new={}", client_.client_id, raw,
                      sub.opts.qos, !*existed);
  // Shared subscriptions get no retained messages (as EMQX); retain handling 1 sends
  // them only for a new subscription, 2 never [MQTT-3.3.1-10] [MQTT-3.3.1-11].
  const auto rh = sub.opts.retain_handling;
  if (send_retained && !sub.shared() && (rh == 0 || (rh == 1 && !*existed))) {
    if (pending_subscribe_) {
      pending_subscribe_->retained.emplace_back(sub.filter, sub);
    } else {
      deliver_retained({{sub.filter, sub}}, false);
    }
  }
  if (!worker_.hooks().empty(ECP_HOOK_SESSION_SUBSCRIBED)) {
    auto frame = new_frame(ECP_HOOK_SESSION_SUBSCRIBED);
    frame->topic = raw;
    frame->event.topic = frame->topic.c_str();
    frame->event.qos = sub.opts.qos;
    plugin::notify(worker_.hooks(), ECP_HOOK_SESSION_SUBSCRIBED, frame->event);
  }
  return sub.opts.qos;
}

void channel::finish_subscribe() {
  auto job = std::move(*pending_subscribe_);
  pending_subscribe_.reset();
  mqtt::encode_suback(job.ack, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
  if (!job.retained.empty()) deliver_retained(std::move(job.retained), true);
}

void channel::subscribe_on_behalf(const std::string& filter,
                                  const mqtt::subscription_options& opts) {
  if (state_ != state::connected || session_ == nullptr) return;
  bool existed = false;
  add_subscription(filter, opts, 0, &existed);
}

void channel::deliver_retained(std::vector<std::pair<std::string, subscription>> wanted,
                               bool suspend) {
  auto& store = worker_.owner().retained();
  if (!store.asynchronous()) {
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [filter, sub] : wanted)
      send_retained(store.match(filter, now), sub);
    return;
  }
  // A store served by a plugin answers on its own thread. After a SUBACK the channel
  // waits for it (its retained messages come before what the client asks next); a
  // subscription made on the client's behalf does not wait.
  std::vector<std::string> filters;
  filters.reserve(wanted.size());
  for (const auto& [filter, sub] : wanted)
    filters.push_back(filter);
  auto subs =
      std::make_shared<std::vector<std::pair<std::string, subscription>>>(std::move(wanted));
  const std::uint64_t wait =
      suspend && !pending_
          ? begin_provider_wait(
                "retained store: match " + std::to_string(filters.size()) + " filters",
                [] {})  // documented fallback: no retained messages for this SUBSCRIBE
          : 0;
  store.match_async(std::move(filters), [w = &worker_, id = id_, wait,
                                         subs](std::vector<std::vector<message_ptr>> found) {
    w->loop().post([w, id, wait, subs, found = std::move(found)]() mutable {
      w->contained(w->channel_by_id(id), "answer", [&](channel* ch) {
        if (ch == nullptr || ch->session_ == nullptr) return;
        auto deliver = [&] {
          for (std::size_t i = 0; i < found.size() && i < subs->size(); ++i)
            ch->send_retained(std::move(found[i]), (*subs)[i].second);
        };
        if (wait != 0) {
          ch->provider_answered(wait, deliver);
        } else {
          deliver();
        }
      });
      w->request_flush();
    });
  });
}

void channel::send_retained(std::vector<message_ptr> messages, const subscription& sub) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& msg : messages) {
    delivery d;
    d.qos = std::min(msg->qos, sub.opts.qos);
    d.retain = true;  // retained on subscribe always carry RETAIN=1 [MQTT-3.3.1-9]
    d.subscription_id = sub.subscription_id;
    d.msg = std::move(msg);
    session_->deliver(std::move(d), this, now, worker_.delivery_counts());
  }
}

void channel::handle_unsubscribe(const mqtt::unsubscribe_packet& u) {
  if (const auto* bad =
          first_invalid(u.filters, [](const std::string& f) -> const std::string& { return f; })) {
    protocol_violation(reason_code::topic_filter_invalid,
                       fmt::format("invalid topic filter \"{}\" in UNSUBSCRIBE", *bad));
    return;
  }
  mqtt::unsuback_packet ack;
  ack.packet_id = u.packet_id;
  auto& subs = session_->subscriptions();
  for (std::string filter : u.filters) {
    if (!worker_.hooks().empty(ECP_HOOK_CLIENT_UNSUBSCRIBE)) {
      auto frame = new_frame(ECP_HOOK_CLIENT_UNSUBSCRIBE);
      frame->topic = filter;
      frame->event.topic = frame->topic.c_str();
      plugin::run_chain(*worker_.hooks().shared_chain(ECP_HOOK_CLIENT_UNSUBSCRIBE), 0,
                        frame->event);
      if (frame->rewritten) filter = *frame->rewritten;
    }
    auto it = subs.find(filter);
    if (it == subs.end()) {
      ack.codes.push_back(reason_code::no_subscription_existed);
      continue;
    }
    worker_.remove_route(it->second.filter, it->second.group,
                         subscriber_ref{worker_.index(), session_->id()});
    if (it->second.exclusive)
      worker_.owner().exclusive().release(it->second.filter, client_.client_id);
    worker_.stats().sub(worker_.stats().subscriptions);
    if (it->second.shared()) worker_.stats().sub(worker_.stats().shared_subscriptions);
    if (session_->journal() != nullptr) worker_.journal().unsubscribed(*session_, filter);
    subs.erase(it);
    worker_.request_flush();
    ack.codes.push_back(reason_code::success);
    publish_subscription_event(false, filter, nullptr);
    if (!worker_.hooks().empty(ECP_HOOK_SESSION_UNSUBSCRIBED)) {
      auto frame = new_frame(ECP_HOOK_SESSION_UNSUBSCRIBED);
      frame->topic = filter;
      frame->event.topic = frame->topic.c_str();
      plugin::notify(worker_.hooks(), ECP_HOOK_SESSION_UNSUBSCRIBED, frame->event);
    }
  }
  mqtt::encode_unsuback(ack, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
}

}  // namespace emqx_cpp::broker
