// SPDX-License-Identifier: Apache-2.0
#include "broker/session_journal.hpp"

#include "broker/session_codec.hpp"
#include "mqtt/property_codec.hpp"

namespace emqx_cpp::broker {

const char* change_batch::keep(std::string s) {
  return storage_->strings.emplace_back(std::move(s)).c_str();
}

ecp_session_change& change_batch::add(const session& s, ecp_session_change_kind kind) {
  ecp_session_change c{};
  c.size = sizeof c;
  c.kind = kind;
  c.client_id = keep(s.client_id());
  return changes_.emplace_back(c);
}

void change_batch::appended(const session& s, const delivery& d) {
  const message& m = *d.msg;
  storage_->keep.push_back(d.msg);
  ecp_stored_message sm{};
  sm.size = sizeof sm;
  sm.id = m.id.data();
  sm.topic = m.topic.data();
  sm.topic_len = m.topic.size();
  sm.payload = m.payload.data();
  sm.payload_len = m.payload.size();
  sm.qos = m.qos;
  sm.retain = m.retain ? 1 : 0;
  if (m.props) {
    mqtt::bytes block;
    mqtt::encode_property_body(*m.props, block);
    const char* kept = keep(std::string(block.data(), block.size()));
    sm.properties = kept;
    sm.properties_len = block.size();
  }
  sm.expires_at_ms = to_wall_ms(m.expires_at);
  sm.timestamp_ms = m.timestamp_ms;
  sm.publisher = m.publisher.c_str();
  const ecp_stored_message* stored = &storage_->messages.emplace_back(sm);
  auto& c = add(s, ECP_SESSION_MESSAGE_APPENDED);
  c.message_id = m.id.data();
  c.message = stored;
  c.qos = d.qos;
  c.retain = d.retain ? 1 : 0;
  c.subscription_id = d.subscription_id;
}

void change_batch::sent(const session& s, const delivery& d, std::uint16_t packet_id) {
  storage_->keep.push_back(d.msg);
  auto& c = add(s, ECP_SESSION_MESSAGE_SENT);
  c.message_id = d.msg->id.data();
  c.packet_id = packet_id;
}

void change_batch::received(const session& s, const delivery& d, std::uint16_t packet_id) {
  storage_->keep.push_back(d.msg);
  auto& c = add(s, ECP_SESSION_MESSAGE_RECEIVED);
  c.message_id = d.msg->id.data();
  c.packet_id = packet_id;
}

void change_batch::done(const session& s, const delivery& d, std::uint16_t packet_id) {
  if (!d.msg) return;  // restored past PUBREC without its message: nothing to name
  storage_->keep.push_back(d.msg);
  auto& c = add(s, ECP_SESSION_MESSAGE_DONE);
  c.message_id = d.msg->id.data();
  c.packet_id = packet_id;
}

void change_batch::rel_awaited(const session& s, std::uint16_t packet_id) {
  add(s, ECP_SESSION_REL_AWAITED).packet_id = packet_id;
}

void change_batch::rel_released(const session& s, std::uint16_t packet_id) {
  add(s, ECP_SESSION_REL_RELEASED).packet_id = packet_id;
}

void change_batch::subscribed(const session& s, const std::string& raw, const subscription& sub) {
  auto& c = add(s, ECP_SESSION_SUBSCRIBED);
  c.filter = keep(raw);
  c.qos = sub.opts.qos;
  c.no_local = sub.opts.no_local ? 1 : 0;
  c.retain_as_published = sub.opts.retain_as_published ? 1 : 0;
  c.retain_handling = sub.opts.retain_handling;
  c.subscription_id = sub.subscription_id;
}

void change_batch::unsubscribed(const session& s, const std::string& raw) {
  add(s, ECP_SESSION_UNSUBSCRIBED).filter = keep(raw);
}

change_batch::taken change_batch::take() {
  taken t{std::move(changes_), std::move(storage_), std::move(barriers_)};
  changes_.clear();
  barriers_.clear();
  storage_ = std::make_shared<storage>();
  return t;
}

}  // namespace emqx_cpp::broker
