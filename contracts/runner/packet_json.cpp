// SPDX-License-Identifier: Apache-2.0
#include "packet_json.hpp"

#include <stdexcept>
#include <type_traits>

namespace emqx_contracts {

namespace mqtt = emqx_cpp::mqtt;
using mqtt::packet_type;
using mqtt::properties;
using mqtt::reason_code;

std::string hex_of(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string bytes_of_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == ':') continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) throw std::invalid_argument("bad hex digit '" + std::string(1, c) + "'");
    if (high < 0) {
      high = v;
    } else {
      out += static_cast<char>(high * 16 + v);
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

namespace {

// One table drives both directions, so a property cannot be readable but not writable.
template <class P, class F>
void for_each_property(P& p, F&& f) {
  f("payload_format_indicator", p.payload_format_indicator);
  f("message_expiry_interval", p.message_expiry_interval);
  f("content_type", p.content_type);
  f("response_topic", p.response_topic);
  f("correlation_data", p.correlation_data);
  f("subscription_identifier", p.subscription_identifiers);
  f("session_expiry_interval", p.session_expiry_interval);
  f("assigned_client_identifier", p.assigned_client_identifier);
  f("server_keep_alive", p.server_keep_alive);
  f("authentication_method", p.authentication_method);
  f("authentication_data", p.authentication_data);
  f("request_problem_information", p.request_problem_information);
  f("will_delay_interval", p.will_delay_interval);
  f("request_response_information", p.request_response_information);
  f("response_information", p.response_information);
  f("server_reference", p.server_reference);
  f("reason_string", p.reason_string);
  f("receive_maximum", p.receive_maximum);
  f("topic_alias_maximum", p.topic_alias_maximum);
  f("topic_alias", p.topic_alias);
  f("maximum_qos", p.maximum_qos);
  f("retain_available", p.retain_available);
  f("user_property", p.user);
  f("maximum_packet_size", p.maximum_packet_size);
  f("wildcard_subscription_available", p.wildcard_subscription_available);
  f("subscription_identifier_available", p.subscription_identifier_available);
  f("shared_subscription_available", p.shared_subscription_available);
}

template <class T>
T number(const json& j, const char* what) {
  if (!j.is_number_integer()) throw std::invalid_argument(std::string(what) + ": not an integer");
  const auto v = j.get<std::int64_t>();
  if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max())
    throw std::invalid_argument(std::string(what) + ": out of range");
  return static_cast<T>(v);
}

properties properties_from_json(const json& j) {
  properties p;
  if (j.is_null()) return p;
  if (!j.is_object()) throw std::invalid_argument("properties: not an object");
  std::size_t known = 0;
  for_each_property(p, [&](const char* name, auto& field) {
    const auto it = j.find(name);
    if (it == j.end()) return;
    ++known;
    using field_t = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<field_t, std::optional<std::string>>) {
      field = it->get<std::string>();
    } else if constexpr (std::is_same_v<field_t, std::vector<std::uint32_t>>) {
      if (it->is_array()) {
        for (const auto& v : *it)
          field.push_back(number<std::uint32_t>(v, name));
      } else {
        field.push_back(number<std::uint32_t>(*it, name));
      }
    } else if constexpr (std::is_same_v<field_t, mqtt::user_properties>) {
      for (const auto& kv : *it) {
        if (!kv.is_array() || kv.size() != 2)
          throw std::invalid_argument("user_property: each entry is [key, value]");
        field.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
      }
    } else {
      field = number<typename field_t::value_type>(*it, name);
    }
  });
  if (known != j.size()) {
    for (const auto& item : j.items()) {
      const std::string& key = item.key();
      bool found = false;
      for_each_property(p, [&](const char* name, const auto&) { found = found || key == name; });
      if (!found) throw std::invalid_argument("unknown property '" + key + "'");
    }
  }
  return p;
}

json properties_to_json(const properties& in) {
  json out = json::object();
  for_each_property(in, [&](const char* name, auto& field) {
    using field_t = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<field_t, std::vector<std::uint32_t>>) {
      if (!field.empty()) out[name] = field;
    } else if constexpr (std::is_same_v<field_t, mqtt::user_properties>) {
      if (field.empty()) return;
      json list = json::array();
      for (const auto& [k, v] : field)
        list.push_back(json::array({k, v}));
      out[name] = list;
    } else {
      if (field) out[name] = *field;
    }
  });
  return out;
}

template <class T>
T get_or(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : it->get<T>();
}

template <class T>
T num_or(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : number<T>(*it, key);
}

packet_type type_of(const std::string& name) {
  static const std::pair<const char*, packet_type> names[] = {
      {"connect", packet_type::connect},   {"connack", packet_type::connack},
      {"publish", packet_type::publish},   {"puback", packet_type::puback},
      {"pubrec", packet_type::pubrec},     {"pubrel", packet_type::pubrel},
      {"pubcomp", packet_type::pubcomp},   {"subscribe", packet_type::subscribe},
      {"suback", packet_type::suback},     {"unsubscribe", packet_type::unsubscribe},
      {"unsuback", packet_type::unsuback}, {"pingreq", packet_type::pingreq},
      {"pingresp", packet_type::pingresp}, {"disconnect", packet_type::disconnect},
      {"auth", packet_type::auth},
  };
  for (const auto& [n, t] : names)
    if (name == n) return t;
  throw std::invalid_argument("unknown packet type '" + name + "'");
}

const char* name_of(packet_type t) {
  static const char* names[] = {"reserved",  "connect",  "connack",     "publish",
                                "puback",    "pubrec",   "pubrel",      "pubcomp",
                                "subscribe", "suback",   "unsubscribe", "unsuback",
                                "pingreq",   "pingresp", "disconnect",  "auth"};
  return names[static_cast<int>(t) & 15];
}

reason_code reason_or(const json& j, const char* key, reason_code fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : static_cast<reason_code>(reason_from_json(*it));
}

std::vector<reason_code> reasons(const json& j) {
  std::vector<reason_code> out;
  if (const auto it = j.find("reason_codes"); it != j.end())
    for (const auto& c : *it)
      out.push_back(static_cast<reason_code>(reason_from_json(c)));
  return out;
}

std::string payload_of(const json& j) {
  if (const auto it = j.find("payload_hex"); it != j.end())
    return bytes_of_hex(it->get<std::string>());
  return get_or<std::string>(j, "payload", "");
}

// SUBACK and UNSUBACK: a packet id and one reason code per filter.
template <class T>
T code_list_packet(const json& j, const json& props) {
  T p;
  p.packet_id = num_or<std::uint16_t>(j, "packet_id", 1);
  p.codes = reasons(j);
  p.props = properties_from_json(props);
  return p;
}

// DISCONNECT and AUTH: a reason code and properties.
template <class T>
T reason_packet(const json& j, const json& props) {
  T p;
  p.code = reason_or(j, "reason_code", reason_code::success);
  p.props = properties_from_json(props);
  return p;
}

}  // namespace

std::uint8_t reason_from_json(const json& j) {
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    std::size_t used = 0;
    const auto v = std::stoul(s, &used, 0);
    if (used != s.size() || v > 255) throw std::invalid_argument("bad reason code '" + s + "'");
    return static_cast<std::uint8_t>(v);
  }
  return number<std::uint8_t>(j, "reason_code");
}

mqtt::packet packet_from_json(const json& j) {
  if (!j.is_object() || !j.contains("type")) throw std::invalid_argument("packet without \"type\"");
  const packet_type t = type_of(j.at("type").get<std::string>());
  const json no_props;
  const json& props = j.contains("properties") ? j.at("properties") : no_props;
  switch (t) {
    case packet_type::connect: {
      mqtt::connect_packet c;
      c.version = static_cast<mqtt::protocol_version>(num_or<std::uint8_t>(j, "version", 5));
      c.clean_start = get_or<bool>(j, "clean_start", true);
      c.keep_alive = num_or<std::uint16_t>(j, "keep_alive", 60);
      c.client_id = get_or<std::string>(j, "client_id", "");
      if (j.contains("username")) c.username = j.at("username").get<std::string>();
      if (j.contains("password")) c.password = j.at("password").get<std::string>();
      if (const auto w = j.find("will"); w != j.end()) {
        mqtt::will_message will;
        will.topic = w->at("topic").get<std::string>();
        will.payload = payload_of(*w);
        will.qos = num_or<std::uint8_t>(*w, "qos", 0);
        will.retain = get_or<bool>(*w, "retain", false);
        if (w->contains("properties")) will.props = properties_from_json(w->at("properties"));
        c.will = std::move(will);
      }
      c.props = properties_from_json(props);
      return c;
    }
    case packet_type::connack: {
      mqtt::connack_packet c;
      c.session_present = get_or<bool>(j, "session_present", false);
      c.code = reason_or(j, "reason_code", reason_code::success);
      c.props = properties_from_json(props);
      return c;
    }
    case packet_type::publish: {
      mqtt::publish_packet p;
      p.topic = get_or<std::string>(j, "topic", "");
      p.payload = payload_of(j);
      p.qos = num_or<std::uint8_t>(j, "qos", 0);
      p.retain = get_or<bool>(j, "retain", false);
      p.dup = get_or<bool>(j, "dup", false);
      p.packet_id = num_or<std::uint16_t>(j, "packet_id", p.qos > 0 ? 1 : 0);
      if (!props.is_null()) p.props = std::make_unique<properties>(properties_from_json(props));
      return p;
    }
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp: {
      mqtt::ack_packet a;
      a.type = t;
      a.packet_id = num_or<std::uint16_t>(j, "packet_id", 1);
      a.code = reason_or(j, "reason_code", reason_code::success);
      a.props = properties_from_json(props);
      return a;
    }
    case packet_type::subscribe: {
      mqtt::subscribe_packet s;
      s.packet_id = num_or<std::uint16_t>(j, "packet_id", 1);
      if (const auto it = j.find("topics"); it != j.end()) {
        for (const auto& e : *it) {
          mqtt::subscribe_entry entry;
          entry.filter = e.at("filter").get<std::string>();
          entry.options.qos = num_or<std::uint8_t>(e, "qos", 0);
          entry.options.no_local = get_or<bool>(e, "no_local", false);
          entry.options.retain_as_published = get_or<bool>(e, "retain_as_published", false);
          entry.options.retain_handling = num_or<std::uint8_t>(e, "retain_handling", 0);
          s.entries.push_back(std::move(entry));
        }
      }
      s.props = properties_from_json(props);
      return s;
    }
    case packet_type::suback:
      return code_list_packet<mqtt::suback_packet>(j, props);
    case packet_type::unsubscribe: {
      mqtt::unsubscribe_packet u;
      u.packet_id = num_or<std::uint16_t>(j, "packet_id", 1);
      if (const auto it = j.find("filters"); it != j.end())
        for (const auto& f : *it)
          u.filters.push_back(f.get<std::string>());
      u.props = properties_from_json(props);
      return u;
    }
    case packet_type::unsuback:
      return code_list_packet<mqtt::unsuback_packet>(j, props);
    case packet_type::pingreq:
      return mqtt::pingreq_packet{};
    case packet_type::pingresp:
      return mqtt::pingresp_packet{};
    case packet_type::disconnect:
      return reason_packet<mqtt::disconnect_packet>(j, props);
    case packet_type::auth:
      return reason_packet<mqtt::auth_packet>(j, props);
  }
  throw std::invalid_argument("unsupported packet type");
}

json packet_to_json(const mqtt::packet& p, mqtt::protocol_version v) {
  return std::visit(
      [v](const auto& pkt) -> json {
        using T = std::decay_t<decltype(pkt)>;
        json j;
        if constexpr (std::is_same_v<T, mqtt::connect_packet>) {
          j["type"] = "connect";
          j["version"] = static_cast<int>(pkt.version);
          j["client_id"] = pkt.client_id;
          j["clean_start"] = pkt.clean_start;
          j["keep_alive"] = pkt.keep_alive;
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::connack_packet>) {
          j["type"] = "connack";
          j["session_present"] = pkt.session_present;
          j["reason_code"] = v == mqtt::protocol_version::v5
                                 ? static_cast<int>(pkt.code)
                                 : static_cast<int>(mqtt::to_v3(pkt.code));
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::publish_packet>) {
          j["type"] = "publish";
          j["topic"] = pkt.topic;
          j["payload"] = pkt.payload;
          j["payload_hex"] = hex_of(pkt.payload);
          j["qos"] = pkt.qos;
          j["retain"] = pkt.retain;
          j["dup"] = pkt.dup;
          if (pkt.qos > 0) j["packet_id"] = pkt.packet_id;
          j["properties"] = pkt.props ? properties_to_json(*pkt.props) : json::object();
        } else if constexpr (std::is_same_v<T, mqtt::ack_packet>) {
          j["type"] = name_of(pkt.type);
          j["packet_id"] = pkt.packet_id;
          j["reason_code"] = static_cast<int>(pkt.code);
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::subscribe_packet>) {
          j["type"] = "subscribe";
          j["packet_id"] = pkt.packet_id;
          j["topics"] = json::array();
          for (const auto& e : pkt.entries)
            j["topics"].push_back({{"filter", e.filter}, {"qos", e.options.qos}});
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::suback_packet> ||
                             std::is_same_v<T, mqtt::unsuback_packet>) {
          j["type"] = std::is_same_v<T, mqtt::suback_packet> ? "suback" : "unsuback";
          j["packet_id"] = pkt.packet_id;
          j["reason_codes"] = json::array();
          for (auto c : pkt.codes)
            j["reason_codes"].push_back(static_cast<int>(c));
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::unsubscribe_packet>) {
          j["type"] = "unsubscribe";
          j["packet_id"] = pkt.packet_id;
          j["filters"] = pkt.filters;
        } else if constexpr (std::is_same_v<T, mqtt::pingreq_packet>) {
          j["type"] = "pingreq";
        } else if constexpr (std::is_same_v<T, mqtt::pingresp_packet>) {
          j["type"] = "pingresp";
        } else if constexpr (std::is_same_v<T, mqtt::disconnect_packet>) {
          j["type"] = "disconnect";
          j["reason_code"] = static_cast<int>(pkt.code);
          j["properties"] = properties_to_json(pkt.props);
        } else if constexpr (std::is_same_v<T, mqtt::auth_packet>) {
          j["type"] = "auth";
          j["reason_code"] = static_cast<int>(pkt.code);
          j["properties"] = properties_to_json(pkt.props);
        }
        return j;
      },
      p);
}

}  // namespace emqx_contracts
