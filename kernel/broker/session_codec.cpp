// SPDX-License-Identifier: Apache-2.0
#include "broker/session_codec.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "broker/proto/session_state.pb.h"
#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

namespace {
constexpr std::uint32_t format_version = 2;
constexpr std::size_t max_packet = 268435455;  // nothing a client sent can be larger

std::string encode_properties(const mqtt::properties* p) {
  if (p == nullptr || *p == mqtt::properties{}) return {};
  mqtt::bytes out;
  mqtt::encode_property_body(*p, out);
  return {out.data(), out.size()};
}

bool decode_property_block(const std::string& body, mqtt::property_context where,
                           mqtt::properties& out) {
  if (body.empty()) return true;
  if (body.size() > max_packet) return false;
  // The block is stored without its length: decode it with one in front.
  mqtt::bytes block;
  mqtt::put_varint(block, static_cast<std::uint32_t>(body.size()));
  block.append(body);
  mqtt::wire_reader reader(
      std::span(reinterpret_cast<const std::uint8_t*>(block.data()), block.size()));
  return static_cast<bool>(mqtt::decode_properties(reader, where, true, out)) &&
         reader.remaining() == 0;
}

void encode_message(const message& m, store::StoredMessage& out) {
  out.set_id(m.id.data(), m.id.size());
  out.set_topic(m.topic);
  out.set_payload(m.payload);
  out.set_qos(m.qos);
  out.set_retain(m.retain);
  out.set_properties(encode_properties(m.props.get()));
  out.set_expires_at_ms(to_wall_ms(m.expires_at));
  out.set_timestamp_ms(m.timestamp_ms);
  out.set_publisher(m.publisher);
  if (m.origin != nullptr) out.set_origin_node(*m.origin);
}

void encode_delivery(const delivery& d, store::Delivery& out) {
  if (d.msg) encode_message(*d.msg, *out.mutable_message());
  out.set_qos(d.qos);
  out.set_retain(d.retain);
  out.set_subscription_id(d.subscription_id);
  out.set_share(d.share);
}

struct decoder {
  std::string why;
  // One message object per id: a message queued twice for this session (overlapping
  // subscriptions) is shared, as it was before it was saved.
  std::map<std::string, message_ptr> seen;

  bool fail(std::string reason) {
    why = std::move(reason);
    return false;
  }

  bool message_from(const store::StoredMessage& in, message_ptr& out) {
    if (in.id().size() != 16) return fail("a message id is not 16 bytes");
    if (auto it = seen.find(in.id()); it != seen.end()) {
      out = it->second;
      return true;
    }
    if (in.qos() > 2) return fail("a message has QoS above 2");
    if (!mqtt::valid_topic_name(in.topic()) || !mqtt::valid_utf8(in.topic()))
      return fail("a message has an invalid topic");
    if (in.payload().size() > max_packet) return fail("a message payload is too large");
    auto m = std::make_shared<message>();
    std::copy(in.id().begin(), in.id().end(), m->id.begin());
    m->topic = in.topic();
    m->payload = in.payload();
    m->qos = static_cast<std::uint8_t>(in.qos());
    m->retain = in.retain();
    m->publisher = in.publisher();
    m->timestamp_ms = in.timestamp_ms();
    m->expires_at = from_wall_ms(in.expires_at_ms());
    if (!in.properties().empty()) {
      mqtt::properties props;
      if (!decode_property_block(in.properties(), mqtt::property_context::publish, props))
        return fail("a message has invalid properties");
      // Only what a message carries to subscribers: never an alias, an expiry (kept in
      // expires_at) or subscription ids.
      if (props.topic_alias || props.message_expiry_interval ||
          !props.subscription_identifiers.empty())
        return fail("a message has properties a stored message never holds");
      m->props = std::make_shared<const mqtt::properties>(std::move(props));
    }
    out = m;
    seen.emplace(in.id(), out);
    return true;
  }

  bool delivery_from(const store::Delivery& in, bool needs_message, delivery& out) {
    if (in.qos() > 2) return fail("a delivery has QoS above 2");
    if (in.has_message()) {
      if (!message_from(in.message(), out.msg)) return false;
    } else if (needs_message) {
      return fail("a queued or unacknowledged delivery has no message");
    }
    out.qos = static_cast<std::uint8_t>(in.qos());
    out.retain = in.retain();
    out.subscription_id = in.subscription_id();
    if (out.subscription_id > 268435455) return fail("a subscription id is out of range");
    if (!in.share().empty() && in.share().find('\n') == std::string::npos)
      return fail("a shared delivery names no group");
    out.share = in.share();
    return true;
  }
};
}  // namespace

std::uint64_t to_wall_ms(steady_clock::time_point t) {
  if (t == steady_clock::time_point{}) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - steady_clock::now());
  return static_cast<std::uint64_t>(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(wall_clock_ms()) + left.count()));
}

steady_clock::time_point from_wall_ms(std::uint64_t wall_ms) {
  if (wall_ms == 0) return {};
  // A store may hand back any number: more than a century away is a century away, so
  // the steady clock (nanoseconds in 64 bits) never overflows.
  constexpr std::int64_t century_ms = 100LL * 366 * 24 * 3600 * 1000;
  const auto now = static_cast<std::int64_t>(wall_clock_ms());
  const auto target = static_cast<std::int64_t>(std::min<std::uint64_t>(wall_ms, INT64_MAX / 2));
  const auto left = std::clamp<std::int64_t>(target - now, -century_ms, century_ms);
  return steady_clock::now() + std::chrono::milliseconds(left);
}

std::string encode_forward_batch(const std::vector<message_ptr>& messages) {
  store::ForwardBatch out;
  for (const auto& m : messages)
    encode_message(*m, *out.add_messages());
  return out.SerializeAsString();
}

std::optional<std::vector<message_ptr>> decode_forward_batch(std::string_view bytes,
                                                             std::string* why) {
  store::ForwardBatch in;
  if (bytes.size() > std::size_t{INT32_MAX} ||
      !in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    if (why != nullptr) *why = "not a forwarded batch";
    return std::nullopt;
  }
  decoder d;
  std::vector<message_ptr> out;
  out.reserve(static_cast<std::size_t>(in.messages_size()));
  for (const auto& m : in.messages()) {
    message_ptr msg;
    if (!d.message_from(m, msg)) {
      if (why != nullptr) *why = d.why;
      return std::nullopt;
    }
    out.push_back(std::move(msg));
  }
  return out;
}

std::string encode_session(const session& cs, std::uint64_t now_ms,
                           std::uint64_t will_publish_at_ms) {
  auto& s = const_cast<session&>(cs);  // the walkers are not const; nothing is changed
  store::Session out;
  out.set_version(format_version);
  out.set_client_id(s.client_id());
  out.set_username(s.username);
  out.set_expiry_interval(s.expiry_interval);
  out.set_saved_at_ms(now_ms);
  for (const auto& [raw, sub] : s.subscriptions()) {
    auto* e = out.add_subscriptions();
    e->set_filter(raw);
    e->set_qos(sub.opts.qos);
    e->set_no_local(sub.opts.no_local);
    e->set_retain_as_published(sub.opts.retain_as_published);
    e->set_retain_handling(sub.opts.retain_handling);
    e->set_subscription_id(sub.subscription_id);
  }
  s.each_inflight([&](const delivery& d, std::uint16_t pid, session::waiting w) {
    auto* e = out.add_inflight();
    encode_delivery(d, *e->mutable_delivery());
    e->set_packet_id(pid);
    e->set_waiting(w == session::waiting::puback   ? store::Inflight::PUBACK
                   : w == session::waiting::pubrec ? store::Inflight::PUBREC
                                                   : store::Inflight::PUBCOMP);
  });
  s.each_queued([&](const delivery& d) { encode_delivery(d, *out.add_queue()); });
  for (const auto id : s.awaiting_rel_ids())
    out.add_awaiting_rel(id);
  if (s.will) {
    auto* w = out.mutable_will();
    w->set_topic(s.will->topic);
    w->set_payload(s.will->payload);
    w->set_qos(s.will->qos);
    w->set_retain(s.will->retain);
    mqtt::properties props = s.will->props;
    props.will_delay_interval.reset();
    w->set_properties(encode_properties(&props));
    w->set_publish_at_ms(will_publish_at_ms);
  }
  out.set_last_packet_id(s.last_packet_id());
  return out.SerializeAsString();
}

std::optional<stored_session> decode_session(std::string_view blob, std::string* why) {
  decoder d;
  auto refuse = [&](std::string reason) -> std::optional<stored_session> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  store::Session in;
  if (blob.size() > std::size_t{INT32_MAX} ||
      !in.ParseFromArray(blob.data(), static_cast<int>(blob.size())))
    return refuse("not a stored session");
  if (in.version() != format_version)
    return refuse("stored session format " + std::to_string(in.version()) + ", not " +
                  std::to_string(format_version));
  stored_session out;
  out.client_id = in.client_id();
  out.username = in.username();
  out.expiry_interval = in.expiry_interval();
  out.saved_at_ms = in.saved_at_ms();
  if (out.client_id.empty() || !mqtt::valid_utf8(out.client_id))
    return refuse("no valid client id");
  std::set<std::string> filters;
  for (const auto& e : in.subscriptions()) {
    auto parsed = mqtt::parse_filter(e.filter());
    if (!parsed || !mqtt::valid_topic_filter(parsed->filter) || !mqtt::valid_utf8(e.filter()))
      return refuse("a subscription has an invalid filter");
    if (!filters.insert(e.filter()).second) return refuse("a filter is subscribed twice");
    if (e.qos() > 2 || e.retain_handling() > 2 || e.subscription_id() > 268435455)
      return refuse("a subscription has options out of range");
    subscription sub;
    sub.group = parsed->group;
    sub.filter = parsed->filter;
    sub.exclusive = parsed->exclusive;
    sub.opts.qos = static_cast<std::uint8_t>(e.qos());
    sub.opts.no_local = e.no_local();
    sub.opts.retain_as_published = e.retain_as_published();
    sub.opts.retain_handling = static_cast<std::uint8_t>(e.retain_handling());
    sub.subscription_id = e.subscription_id();
    out.subscriptions.emplace_back(e.filter(), std::move(sub));
  }
  std::set<std::uint32_t> ids;
  for (const auto& e : in.inflight()) {
    if (e.packet_id() == 0 || e.packet_id() > 65535 || !ids.insert(e.packet_id()).second)
      return refuse("an in-flight packet id is 0, too large or used twice");
    stored_inflight f;
    f.packet_id = static_cast<std::uint16_t>(e.packet_id());
    switch (e.waiting()) {
      case store::Inflight::PUBACK:
        f.state = session::waiting::puback;
        break;
      case store::Inflight::PUBREC:
        f.state = session::waiting::pubrec;
        break;
      case store::Inflight::PUBCOMP:
        f.state = session::waiting::pubcomp;
        break;
      default:
        return refuse("an in-flight message waits for nothing known");
    }
    if (!d.delivery_from(e.delivery(), f.state != session::waiting::pubcomp, f.d))
      return refuse(d.why);
    if (f.d.qos == 0) return refuse("a QoS 0 delivery is in flight");
    if ((f.state == session::waiting::puback) != (f.d.qos == 1))
      return refuse("an in-flight message waits for the wrong acknowledgement");
    out.inflight.push_back(std::move(f));
  }
  if (out.inflight.size() > 65535) return refuse("more in flight than packet ids");
  for (const auto& e : in.queue()) {
    delivery q;
    if (!d.delivery_from(e, true, q)) return refuse(d.why);
    out.queue.push_back(std::move(q));
  }
  std::set<std::uint32_t> rel;
  for (const auto id : in.awaiting_rel()) {
    if (id == 0 || id > 65535 || !rel.insert(id).second)
      return refuse("an awaiting-PUBREL packet id is 0, too large or listed twice");
    out.awaiting_rel.push_back(static_cast<std::uint16_t>(id));
  }
  if (in.has_will()) {
    const auto& w = in.will();
    if (w.qos() > 2 || !mqtt::valid_topic_name(w.topic()) || !mqtt::valid_utf8(w.topic()))
      return refuse("the will has an invalid topic or QoS");
    auto will = std::make_unique<mqtt::will_message>();
    will->topic = w.topic();
    will->payload = w.payload();
    will->qos = static_cast<std::uint8_t>(w.qos());
    will->retain = w.retain();
    if (!decode_property_block(w.properties(), mqtt::property_context::will, will->props))
      return refuse("the will has invalid properties");
    out.will = std::move(will);
    out.will_publish_at_ms = w.publish_at_ms();
  }
  if (in.last_packet_id() > 65535) return refuse("the last packet id is out of range");
  out.last_packet_id = static_cast<std::uint16_t>(in.last_packet_id());
  return out;
}

}  // namespace emqx_cpp::broker
