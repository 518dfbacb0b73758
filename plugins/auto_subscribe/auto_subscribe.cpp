// SPDX-License-Identifier: Apache-2.0
//
// auto_subscribe: EMQX's auto subscribe as a plugin. When a client has connected (after
// its CONNACK, hook client.connected), the broker subscribes it to a configured list of
// topic filters, as if it had sent SUBSCRIBE itself but without a SUBACK, so devices that
// cannot be changed still get their command topics. A filter may hold ${clientid},
// ${username}, ${host} and ${port} (the client's peer address); a filter whose
// placeholder has no value for this client (no username) is skipped for it. README.md
// lists the keys and the differences from EMQX.
#include <emqx_cpp/plugin.hpp>
#include <emqx_cpp/sdk/topic.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using emqx_cpp::sdk::client_view;
using emqx_cpp::sdk::event_view;
using emqx_cpp::sdk::hook_result;

// Priority of EMQX's auto subscribe (emqx_hooks.hrl HP_AUTO_SUB).
constexpr std::int32_t priority_auto_sub = 920;

enum class placeholder { clientid, username, host, port };

struct placeholder_name {
  std::string_view text;
  placeholder which;
};
constexpr placeholder_name placeholders[] = {{"${clientid}", placeholder::clientid},
                                             {"${username}", placeholder::username},
                                             {"${host}", placeholder::host},
                                             {"${port}", placeholder::port}};

std::string_view name_of(placeholder p) {
  for (const auto& n : placeholders) {
    if (n.which == p) return n.text;
  }
  return {};
}

// A filter cut at its placeholders once, at init, so a connect only concatenates.
using piece = std::variant<std::string, placeholder>;

struct topic_spec {
  std::string raw;  // as configured, for logs
  std::vector<piece> pieces;
  std::uint8_t qos = 0;
  std::uint8_t rh = 0;
  bool rap = false;
  bool nl = false;
};

std::vector<piece> parse(std::string_view topic) {
  std::vector<piece> out;
  std::string literal;
  for (std::size_t i = 0; i < topic.size();) {
    bool matched = false;
    for (const auto& n : placeholders) {
      if (topic.substr(i).starts_with(n.text)) {
        if (!literal.empty()) out.emplace_back(std::exchange(literal, {}));
        out.emplace_back(n.which);
        i += n.text.size();
        matched = true;
        break;
      }
    }
    if (!matched) literal += topic[i++];  // anything else, "${other}" too, is literal
  }
  if (!literal.empty()) out.emplace_back(std::move(literal));
  return out;
}

// A well-formed topic filter, a shared one ("$share/<group>/<filter>") included.
bool valid_filter(std::string_view filter) {
  return emqx_cpp::sdk::topic::valid_filter(filter, /*allow_shared=*/true);
}

// "ip:port" or "[ip6]:port" into its two parts; nullopt when it is neither.
std::optional<std::pair<std::string_view, std::string_view>> split_peer(std::string_view peer) {
  const std::size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == peer.size())
    return std::nullopt;
  std::string_view host = peer.substr(0, colon);
  const std::string_view port = peer.substr(colon + 1);
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (r.ec != std::errc{} || r.ptr != port.data() + port.size()) return std::nullopt;
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::nullopt;
  return std::pair{host, port};
}

// What a placeholder stands for with this client; nullopt when it has no value.
std::optional<std::string_view> value_of(placeholder p, const client_view& c) {
  switch (p) {
    case placeholder::clientid:
      return c.client_id.empty() ? std::nullopt : std::optional{c.client_id};
    case placeholder::username:
      // No username, or an empty one: nothing worth a topic level.
      if (!c.username || c.username->empty()) return std::nullopt;
      return c.username;
    case placeholder::host:
    case placeholder::port: {
      const auto parts = split_peer(c.peer);
      if (!parts) return std::nullopt;
      return p == placeholder::host ? parts->first : parts->second;
    }
  }
  return std::nullopt;
}

class auto_subscribe final : public emqx_cpp::sdk::plugin {
 public:
  ecp_status init() override {
    if (const ecp_status st = read_topics(); st != ECP_OK) return st;
    if (!topics_.empty() &&
        on(ECP_HOOK_CLIENT_CONNECTED, priority_auto_sub,
           [this](const event_view& e, ecp_hook_reply&) { return on_connected(e); }) == 0) {
      host().error("cannot register the client.connected hook");
      return ECP_ERR_UNSUPPORTED;
    }
    host().info("auto_subscribe ready: " + std::to_string(topics_.size()) + " topics");
    return ECP_OK;
  }

 private:
  ecp_status read_topics() {
    const std::size_t count = host().config_count("topics").value_or(0);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string key = "topics." + std::to_string(i) + ".";
      topic_spec t;
      const auto topic = host().config_string(key + "topic");
      if (!topic || topic->empty()) return refuse(key + "topic: required, and not empty");
      t.raw = *topic;
      t.pieces = parse(t.raw);
      const auto qos = host().config_int(key + "qos").value_or(0);
      const auto rh = host().config_int(key + "rh").value_or(0);
      if (qos < 0 || qos > 2) return refuse(key + "qos: must be 0, 1 or 2");
      if (rh < 0 || rh > 2) return refuse(key + "rh: must be 0, 1 or 2");
      t.qos = static_cast<std::uint8_t>(qos);
      t.rh = static_cast<std::uint8_t>(rh);
      t.rap = host().config_bool(key + "rap").value_or(false);
      t.nl = host().config_bool(key + "nl").value_or(false);
      // Checked with every placeholder filled by a plain level, so a filter that can never
      // be subscribed to is refused now rather than at each connect.
      std::string sample;
      for (const auto& p : t.pieces) {
        if (const auto* s = std::get_if<std::string>(&p)) {
          sample += *s;
        } else {
          sample += "x";
        }
      }
      if (!valid_filter(sample)) {
        return refuse(key + "topic: \"" + t.raw + "\" is not a valid MQTT topic filter");
      }
      if (t.nl && t.raw.starts_with("$share/")) {
        return refuse(key + "nl: no local is not allowed on a shared subscription");
      }
      for (const auto& p : t.pieces) {
        const auto* s = std::get_if<std::string>(&p);
        if (s != nullptr && s->find("${") != std::string::npos) {
          host().warning(key + "topic: \"" + t.raw +
                         "\" holds an unknown placeholder (known: ${clientid}, ${username}, "
                         "${host}, ${port}); it is kept as written");
          break;
        }
      }
      topics_.push_back(std::move(t));
    }
    return ECP_OK;
  }

  ecp_status refuse(const std::string& why) const {
    host().error("plugins.auto_subscribe." + why);
    return ECP_ERR_INVALID_ARGUMENT;
  }

  // The filter for this client, or nullopt (with the reason in `why`) when it is skipped.
  static std::optional<std::string> fill(const topic_spec& t, const client_view& c,
                                         std::string& why) {
    std::string out;
    for (const auto& p : t.pieces) {
      if (const auto* s = std::get_if<std::string>(&p)) {
        out += *s;
        continue;
      }
      const auto which = std::get<placeholder>(p);
      const auto v = value_of(which, c);
      if (!v) {
        why = std::string{name_of(which)} + " has no value";
        return std::nullopt;
      }
      // A client id "+" must not subscribe "+/inbox" to every client's inbox.
      if (v->find_first_of("+#") != std::string_view::npos) {
        why = std::string{name_of(which)} + " holds a wildcard character";
        return std::nullopt;
      }
      out += *v;
    }
    return out;
  }

  // client.connected, on the client's I/O worker; topics_ is read-only after init.
  hook_result on_connected(const event_view& e) const {
    const auto c = e.client();
    if (!c) return hook_result::continue_chain;
    const std::string client_id{c->client_id};
    for (const auto& t : topics_) {
      std::string why;
      const auto filter = fill(t, *c, why);
      if (!filter) {
        if (why.ends_with("wildcard character")) {
          host().warning("not subscribing client " + client_id + " to \"" + t.raw + "\": " + why);
        } else {
          host().debug("not subscribing client " + client_id + " to \"" + t.raw + "\": " + why);
        }
        host().counter_add("skipped_total");
        continue;
      }
      const ecp_status st = host().subscribe(
          client_id, *filter, t.qos,
          {.no_local = t.nl, .retain_as_published = t.rap, .retain_handling = t.rh});
      if (st != ECP_OK) {
        host().warning("subscribing client " + client_id + " to \"" + *filter +
                       "\" failed with status " + std::to_string(st));
        continue;
      }
      host().counter_add("subscribed_total");
    }
    return hook_result::continue_chain;
  }

  std::vector<topic_spec> topics_;
};

}  // namespace

EMQX_CPP_PLUGIN(auto_subscribe, "auto_subscribe", "1.0.0",
                "Subscribes every client that connects to configured topic filters, as EMQX does")
