// SPDX-License-Identifier: Apache-2.0
#include "broker/session_store.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "broker/message.hpp"
#include "mqtt/topic.hpp"

namespace emqx_cpp::broker {

namespace {
constexpr int format_version = 1;
}

std::string encode_session(const session& s, std::uint64_t now_ms) {
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& [raw, sub] : const_cast<session&>(s).subscriptions()) {
    subs.push_back({{"filter", raw},
                    {"qos", sub.opts.qos},
                    {"nl", sub.opts.no_local},
                    {"rap", sub.opts.retain_as_published},
                    {"rh", sub.opts.retain_handling},
                    {"id", sub.subscription_id}});
  }
  nlohmann::json j{{"version", format_version}, {"client_id", s.client_id()},
                   {"username", s.username},    {"expiry", s.expiry_interval},
                   {"saved_at_ms", now_ms},     {"subscriptions", std::move(subs)}};
  return j.dump();
}

std::optional<stored_session> decode_session(std::string_view blob) {
  // A store may hand back anything; a blob we cannot read is treated as no session.
  const auto j = nlohmann::json::parse(blob, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != format_version)
    return std::nullopt;
  stored_session out;
  out.username = j.value("username", "");
  out.expiry_interval = j.value("expiry", 0U);
  out.saved_at_ms = j.value("saved_at_ms", std::uint64_t{0});
  const auto subs = j.find("subscriptions");
  if (subs == j.end() || !subs->is_array()) return std::nullopt;
  for (const auto& e : *subs) {
    if (!e.is_object() || !e.contains("filter") || !e["filter"].is_string()) return std::nullopt;
    const std::string raw = e["filter"];
    auto parsed = mqtt::parse_filter(raw);
    if (!parsed || !mqtt::valid_topic_filter(parsed->filter)) return std::nullopt;
    subscription sub;
    sub.group = parsed->group;
    sub.filter = parsed->filter;
    sub.opts.qos = static_cast<std::uint8_t>(std::min(2U, e.value("qos", 0U)));
    sub.opts.no_local = e.value("nl", false);
    sub.opts.retain_as_published = e.value("rap", false);
    sub.opts.retain_handling = static_cast<std::uint8_t>(std::min(2U, e.value("rh", 0U)));
    sub.subscription_id = e.value("id", 0U);
    out.subscriptions.emplace_back(raw, sub);
  }
  return out;
}

void plugin_session_store::save(const session& s) {
  const std::string blob = encode_session(s, wall_clock_ms());
  vtable_->on_save(state_, s.client_id().c_str(), blob.data(), blob.size(), s.expiry_interval);
}

std::optional<stored_session> plugin_session_store::load(const std::string& client_id) {
  std::string buffer;
  auto alloc = [](void* ctx, std::size_t len) -> void* {
    auto* b = static_cast<std::string*>(ctx);
    b->resize(len);
    return b->data();
  };
  void* blob = nullptr;
  std::size_t len = 0;
  if (vtable_->on_load(state_, client_id.c_str(), alloc, &buffer, &blob, &len) != ECP_OK)
    return std::nullopt;
  auto s = decode_session(std::string_view(buffer.data(), std::min(len, buffer.size())));
  if (!s) return std::nullopt;
  const std::uint64_t now = wall_clock_ms();
  if (s->expiry_interval != 0xFFFFFFFF &&
      s->saved_at_ms + std::uint64_t{s->expiry_interval} * 1000 <= now) {
    erase(client_id);  // expired while nobody had it in memory
    return std::nullopt;
  }
  return s;
}

void plugin_session_store::erase(const std::string& client_id) {
  vtable_->on_delete(state_, client_id.c_str());
}

}  // namespace emqx_cpp::broker
