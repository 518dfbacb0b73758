// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the MQTT decoder, the first code that touches bytes from the
// network. The first input byte chooses the connection: (b & 0x7F) % 3 selects MQTT 3.1,
// 3.1.1 or 5.0 (so 3, 4 and 5 mean what they say) and bit 0x80 turns strict UTF-8
// checking off. The rest is the byte stream, cut into frames with read_frame and
// decoded one after another as a channel does, switching version at a CONNECT and
// stopping at the first error, where the broker would close the connection.
//
// Besides not crashing, every decoded packet must survive re-encoding: its encoding
// decodes to an equal packet, which re-encodes to the same bytes. The input itself is not
// compared, because a decoder accepts forms the encoder never writes (properties in any
// order, an explicit success code, 3.x SUBACK codes other than 0-2 and 0x80). PUBLISH is
// also encoded through publish_view, which must give the same bytes and the size
// publish_size predicts, and topics and filters are checked against the matcher.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "mqtt/codec.hpp"
#include "mqtt/topic.hpp"

using namespace emqx_cpp::mqtt;

namespace {

// The broker's default max_packet_size.
constexpr std::uint32_t max_packet = 1024 * 1024;

[[noreturn]] void fail(const char* what, std::string_view a = {}, std::string_view b = {}) {
  std::fprintf(stderr, "mqtt_decode_fuzz: %s\n", what);
  for (std::string_view s : {a, b}) {
    if (s.empty()) continue;
    for (unsigned char c : s)
      std::fprintf(stderr, "%02X ", c);
    std::fprintf(stderr, "\n");
  }
  __builtin_trap();
}

std::span<const std::uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Decodes one encoder-made frame, which must be exactly one complete, valid frame.
packet decode_encoded(const bytes& frame, protocol_version version, const decode_options& opts) {
  fixed_header h;
  if (read_frame(as_span(frame), 0, h) != frame_status::complete || h.frame_size() != frame.size())
    fail("encoded packet is not one complete frame", frame);
  auto p = decode(h, as_span(frame).subspan(h.header_size, h.remaining_length), version, opts);
  if (!p) fail(p.err().message.c_str(), frame);
  return std::move(p).value();
}

// Field-by-field equality of two decoded packets. A PUBLISH property block that is
// present but empty (a non-minimal zero length) equals an absent one; 3.x SUBACK codes
// other than 0-2 are all sent as 0x80.
bool same_props(const std::unique_ptr<properties>& a, const std::unique_ptr<properties>& b) {
  static const properties none;
  return (a ? *a : none) == (b ? *b : none);
}

bool same(const connect_packet& a, const connect_packet& b, protocol_version) {
  if (a.will.has_value() != b.will.has_value()) return false;
  if (a.will && (a.will->topic != b.will->topic || a.will->payload != b.will->payload ||
                 a.will->qos != b.will->qos || a.will->retain != b.will->retain ||
                 a.will->props != b.will->props))
    return false;
  return a.version == b.version && a.protocol_name == b.protocol_name &&
         a.clean_start == b.clean_start && a.keep_alive == b.keep_alive &&
         a.client_id == b.client_id && a.username == b.username && a.password == b.password &&
         a.bridge == b.bridge && a.props == b.props;
}
bool same(const connack_packet& a, const connack_packet& b, protocol_version) {
  return a.session_present == b.session_present && a.code == b.code && a.props == b.props;
}
bool same(const publish_packet& a, const publish_packet& b, protocol_version) {
  return a.dup == b.dup && a.qos == b.qos && a.retain == b.retain && a.topic == b.topic &&
         a.packet_id == b.packet_id && a.payload == b.payload && same_props(a.props, b.props);
}
bool same(const ack_packet& a, const ack_packet& b, protocol_version) {
  return a.type == b.type && a.packet_id == b.packet_id && a.code == b.code && a.props == b.props;
}
bool same(const subscribe_packet& a, const subscribe_packet& b, protocol_version) {
  if (a.packet_id != b.packet_id || a.props != b.props || a.entries.size() != b.entries.size())
    return false;
  for (std::size_t i = 0; i < a.entries.size(); ++i)
    if (a.entries[i].filter != b.entries[i].filter || a.entries[i].options != b.entries[i].options)
      return false;
  return true;
}
bool same(const suback_packet& a, const suback_packet& b, protocol_version v) {
  if (a.packet_id != b.packet_id || a.props != b.props || a.codes.size() != b.codes.size())
    return false;
  for (std::size_t i = 0; i < a.codes.size(); ++i) {
    auto code = static_cast<std::uint8_t>(a.codes[i]);
    if (v != protocol_version::v5 && code > 2) code = 0x80;
    if (code != static_cast<std::uint8_t>(b.codes[i])) return false;
  }
  return true;
}
bool same(const unsubscribe_packet& a, const unsubscribe_packet& b, protocol_version) {
  return a.packet_id == b.packet_id && a.filters == b.filters && a.props == b.props;
}
bool same(const unsuback_packet& a, const unsuback_packet& b, protocol_version) {
  return a.packet_id == b.packet_id && a.codes == b.codes && a.props == b.props;
}
bool same(const pingreq_packet&, const pingreq_packet&, protocol_version) {
  return true;
}
bool same(const pingresp_packet&, const pingresp_packet&, protocol_version) {
  return true;
}
bool same(const disconnect_packet& a, const disconnect_packet& b, protocol_version) {
  return a.code == b.code && a.props == b.props;
}
bool same(const auth_packet& a, const auth_packet& b, protocol_version) {
  return a.code == b.code && a.props == b.props;
}

// The packet encodes to a frame that decodes to an equal packet, and that packet
// encodes to the same bytes again.
void check_round_trip(const packet& p, protocol_version version, const decode_options& opts) {
  bytes first;
  encode(p, version, first);
  const packet again = decode_encoded(first, version, opts);
  if (again.index() != p.index()) fail("re-decoded as another packet type", first);
  const bool equal = std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        return same(a, std::get<T>(again), version);
      },
      p);
  if (!equal) fail("re-decoded packet differs from the original", first);
  bytes second;
  encode(again, version, second);
  if (first != second) fail("encoding is not stable", first, second);
}

void check_publish_view(const publish_packet& p, protocol_version version) {
  publish_view v;
  v.topic = p.topic;
  v.payload = p.payload;
  v.qos = p.qos;
  v.retain = p.retain;
  v.dup = p.dup;
  v.packet_id = p.packet_id;
  v.props = p.props.get();
  bytes from_view;
  encode_publish(v, version, from_view);
  bytes from_struct;
  encode_publish(p, version, from_struct);
  if (from_view != from_struct) fail("publish_view encodes differently", from_view, from_struct);
  if (publish_size(v, version) != from_view.size()) fail("publish_size is wrong", from_view);

  // A delivery adds its own expiry, subscription identifier and alias (the broker strips
  // the publisher's expiry and alias first, so only do it where they are absent).
  if (version != protocol_version::v5) return;
  if (p.props && (p.props->message_expiry_interval || p.props->topic_alias)) return;
  const std::uint32_t id = static_cast<std::uint32_t>(p.payload.size() % 268435455) + 1;
  v.message_expiry = std::uint32_t{p.packet_id} + 1;
  v.subscription_ids = std::span(&id, 1);
  v.topic_alias = static_cast<std::uint16_t>(p.qos + 1);
  bytes delivery;
  encode_publish(v, version, delivery);
  if (publish_size(v, version) != delivery.size()) fail("publish_size is wrong", delivery);
  const packet back = decode_encoded(delivery, version, decode_options{false});
  const auto& props = std::get<publish_packet>(back).props;
  if (!props || props->message_expiry_interval != v.message_expiry ||
      props->topic_alias != v.topic_alias || props->subscription_identifiers.empty() ||
      props->subscription_identifiers.back() != id)
    fail("delivery properties lost", delivery);
}

void check_topic_name(std::string_view topic) {
  if (!valid_topic_name(topic)) return;
  if (!topic_matches(topic, topic)) fail("a topic does not match itself", topic);
  if (topic_matches("#", topic) == (topic[0] == '$')) fail("'#' and the '$' rule", topic);
  if (!valid_topic_filter(topic)) fail("a valid topic name is not a valid filter", topic);
}

void check_filter(std::string_view raw) {
  const auto parsed = parse_filter(raw);
  if (!parsed) return;
  if (parsed->shared()) {
    const bool queue = raw.substr(0, 7) == "$queue/";
    const std::string rebuilt =
        queue ? "$queue/" + parsed->filter : "$share/" + parsed->group + "/" + parsed->filter;
    if (rebuilt != raw) fail("parse_filter lost bytes", raw, rebuilt);
  } else if (parsed->exclusive) {
    if ("$exclusive/" + parsed->filter != raw) fail("parse_filter lost bytes", raw, parsed->filter);
  } else if (parsed->filter != raw) {
    fail("parse_filter changed a plain filter", raw, parsed->filter);
  }
  if (valid_topic_filter(parsed->filter) && !has_wildcard(parsed->filter) &&
      !topic_matches(parsed->filter, parsed->filter))
    fail("a filter without wildcards does not match its own topic", raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr protocol_version versions[] = {protocol_version::v3_1, protocol_version::v3_1_1,
                                                  protocol_version::v5};
  protocol_version version = versions[(data[0] & 0x7F) % 3];
  const decode_options opts{(data[0] & 0x80) == 0};
  std::span<const std::uint8_t> in(data + 1, size - 1);
  for (;;) {
    fixed_header h;
    const auto status = read_frame(in, max_packet, h);
    if (status == frame_status::too_large && h.frame_size() <= max_packet)
      fail("too_large for a frame within the limit");
    if (status != frame_status::complete) break;
    if (h.frame_size() > in.size()) fail("complete frame longer than the input");
    const auto body = in.subspan(h.header_size, h.remaining_length);
    const auto asked = h.type == packet_type::connect ? connect_version(body) : std::nullopt;
    auto decoded = decode(h, body, version, opts);
    in = in.subspan(h.frame_size());
    if (!decoded) {
      const auto code = static_cast<reason_code>(decoded.err().code);
      if (!is_error(code) || to_string(code) == "unknown_reason_code")
        fail("decode error without a reason code");
      break;
    }
    const packet& p = decoded.value();
    check_round_trip(p, version, opts);
    if (const auto* c = std::get_if<connect_packet>(&p)) {
      if (asked != c->version) fail("connect_version disagrees with decode");
      version = c->version;
    } else if (const auto* pub = std::get_if<publish_packet>(&p)) {
      check_publish_view(*pub, version);
      check_topic_name(pub->topic);
    } else if (const auto* sub = std::get_if<subscribe_packet>(&p)) {
      for (const auto& e : sub->entries)
        check_filter(e.filter);
    } else if (const auto* unsub = std::get_if<unsubscribe_packet>(&p)) {
      for (const auto& f : unsub->filters)
        check_filter(f);
    }
  }
  return 0;
}
