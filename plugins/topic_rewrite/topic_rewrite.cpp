// SPDX-License-Identifier: Apache-2.0
//
// topic_rewrite: EMQX's topic rewrite as a plugin. Each rule names the packets it applies
// to (publish, subscribe, all), an MQTT topic filter the topic must match (source_topic),
// a regular expression that extracts parts of the topic (re) and the new topic built from
// them (dest_topic, with $1..$9, ${clientid} and ${username}). Publish rules rewrite the
// topic of every message entering the broker (message.publish); subscribe rules rewrite
// the filters of SUBSCRIBE and UNSUBSCRIBE (client.subscribe, client.unsubscribe), so a
// device that cannot be reconfigured can be moved to another topic tree. Rules are tried
// in order and the first whose source_topic matches decides, as EMQX documents: when its
// regular expression does not match, the topic stays as it is and no later rule is tried.
// README.md lists the keys and the differences from EMQX.
#include <emqx_cpp/plugin.hpp>
#include <emqx_cpp/sdk/topic.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

using emqx_cpp::sdk::event_view;
using emqx_cpp::sdk::hook_result;

// libstdc++'s std::regex matches by recursion, one frame per character or so: a topic of
// some tens of kilobytes overflows a worker's stack. MQTT allows topics of 64 KiB, so
// longer topics than this are left alone (and counted) instead of crashing the broker.
constexpr std::size_t max_regex_input = 4096;

using emqx_cpp::sdk::topic::valid_filter;

// EMQX's emqx_topic:match(Name, Filter), with the rule's source_topic as the filter.
bool topic_matches(std::string_view name, std::string_view filter) {
  return emqx_cpp::sdk::topic::matches(name, filter);
}

enum class rule_kind { publish, subscribe, all };

struct rule {
  std::size_t index = 0;  // position in the config, for logs
  std::string source_topic;
  std::string re_text;
  std::regex re;
  std::string dest_topic;
  // Set after the first failed rewrite was logged, so a bad rule warns once, not per message.
  mutable std::atomic<bool> warned{false};
};

// The values ${clientid} and ${username} stand for; absent ones stay in the result as
// written, as in EMQX.
struct binds {
  std::string_view client_id;
  std::optional<std::string_view> username;
};

// dest_topic with $1..$9 replaced by the regex's groups (an unmatched group by "", a group
// the expression does not have left as written) and the placeholders by `b`.
template <class Match>
std::string expand(std::string_view dest, const Match& m, const binds& b) {
  static constexpr std::string_view clientid_ph = "${clientid}";
  static constexpr std::string_view username_ph = "${username}";
  std::string out;
  out.reserve(dest.size() + 32);
  for (std::size_t i = 0; i < dest.size();) {
    const std::string_view rest = dest.substr(i);
    if (rest.starts_with(clientid_ph) && !b.client_id.empty()) {
      out += b.client_id;
      i += clientid_ph.size();
    } else if (rest.starts_with(username_ph) && b.username && !b.username->empty()) {
      out += *b.username;
      i += username_ph.size();
    } else if (rest.size() >= 2 && rest[0] == '$' && rest[1] >= '1' && rest[1] <= '9' &&
               static_cast<std::size_t>(rest[1] - '0') < m.size()) {
      out += m[static_cast<std::size_t>(rest[1] - '0')].str();
      i += 2;
    } else {
      out += dest[i];
      ++i;
    }
  }
  return out;
}

// A shared subscription is rewritten without its prefix, as EMQX does: "$share/g/t/1"
// matches and rewrites "t/1" and keeps "$share/g/"; "$queue/t/2" keeps "$queue/".
std::string_view share_prefix(std::string_view filter) {
  if (filter.starts_with("$queue/")) return filter.substr(0, 7);
  if (!filter.starts_with("$share/")) return {};
  const std::size_t slash = filter.find('/', 7);
  if (slash == std::string_view::npos) return {};  // no filter after the group: not ours
  return filter.substr(0, slash + 1);
}

class topic_rewrite final : public emqx_cpp::sdk::plugin {
 public:
  ecp_status init() override {
    if (const ecp_status st = read_rules(); st != ECP_OK) return st;
    // Hooks only where a rule can apply: a message or filter no rule could touch pays nothing.
    if (!publish_.empty() &&
        on(ECP_HOOK_MESSAGE_PUBLISH, ECP_PRIORITY_REWRITE,
           [this](const event_view& e, ecp_hook_reply&) { return on_publish(e); }) == 0) {
      return registration_failed();
    }
    if (!subscribe_.empty() && (on(ECP_HOOK_CLIENT_SUBSCRIBE, ECP_PRIORITY_REWRITE,
                                   [this](const event_view& e, ecp_hook_reply&) {
                                     return on_filter(e, "action=subscribe");
                                   }) == 0 ||
                                on(ECP_HOOK_CLIENT_UNSUBSCRIBE, ECP_PRIORITY_REWRITE,
                                   [this](const event_view& e, ecp_hook_reply&) {
                                     return on_filter(e, "action=unsubscribe");
                                   }) == 0)) {
      return registration_failed();
    }
    host().info("topic_rewrite ready: " + std::to_string(rules_.size()) + " rules, " +
                std::to_string(publish_.size()) + " for publish, " +
                std::to_string(subscribe_.size()) + " for subscribe");
    return ECP_OK;
  }

 private:
  // Reads and checks every rule; a bad one makes init fail, naming the key, so the broker
  // refuses to load the plugin instead of running with a rule silently missing.
  ecp_status read_rules() {
    const std::size_t count = host().config_count("rules").value_or(0);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string key = "rules." + std::to_string(i) + ".";
      const auto action = host().config_string(key + "action");
      const auto source = host().config_string(key + "source_topic");
      const auto re = host().config_string(key + "re");
      const auto dest = host().config_string(key + "dest_topic");
      if (!action || !source || !re || !dest) {
        return refuse(key + "{action, source_topic, re, dest_topic}: all four are required");
      }
      rule_kind kind{};
      if (*action == "publish") {
        kind = rule_kind::publish;
      } else if (*action == "subscribe") {
        kind = rule_kind::subscribe;
      } else if (*action == "all") {
        kind = rule_kind::all;
      } else {
        return refuse(key + "action: must be one of publish, subscribe, all, got \"" +
                      std::string{*action} + "\"");
      }
      if (!valid_filter(*source)) {
        return refuse(key + "source_topic: \"" + std::string{*source} +
                      "\" is not a valid MQTT topic filter");
      }
      if (dest->empty()) return refuse(key + "dest_topic: must not be empty");
      auto& r = rules_.emplace_back();
      r.index = i;
      r.source_topic = *source;
      r.re_text = *re;
      r.dest_topic = *dest;
      try {
        r.re = std::regex{r.re_text, std::regex::ECMAScript | std::regex::optimize};
      } catch (const std::regex_error& e) {
        return refuse(key + "re: invalid regular expression \"" + r.re_text + "\": " + e.what());
      }
      if (kind != rule_kind::subscribe) publish_.push_back(&r);
      if (kind != rule_kind::publish) subscribe_.push_back(&r);
    }
    return ECP_OK;
  }

  ecp_status refuse(const std::string& why) const {
    host().error("plugins.topic_rewrite." + why);
    return ECP_ERR_INVALID_ARGUMENT;
  }

  ecp_status registration_failed() const {
    host().error("cannot register the rewrite hooks");
    return ECP_ERR_UNSUPPORTED;
  }

  static binds binds_of(const event_view& e) {
    binds b;
    if (const auto c = e.client()) {
      b.client_id = c->client_id;
      b.username = c->username;
    }
    return b;
  }

  struct rewritten {
    const rule* by;
    std::string topic;
  };

  // The new topic and the rule that made it, or nullopt when no rule rewrites `topic`.
  std::optional<rewritten> rewrite(const std::vector<const rule*>& rules, std::string_view topic,
                                   const binds& b) const {
    for (const rule* r : rules) {
      if (!topic_matches(topic, r->source_topic)) continue;
      // The first rule whose filter matches decides, whether or not its expression does.
      if (topic.size() > max_regex_input) {
        host().counter_add("skipped_total", 1, "reason=too_long");
        return std::nullopt;
      }
      std::match_results<std::string_view::const_iterator> m;
      if (!std::regex_search(topic.begin(), topic.end(), m, r->re)) return std::nullopt;
      return rewritten{r, expand(r->dest_topic, m, b)};
    }
    return std::nullopt;
  }

  // Reports a rewrite the broker refused (not a valid topic), once per rule: a rule that
  // produces bad topics would otherwise log once per message.
  void warn_refused(const rewritten& out, std::string_view topic, const char* what) const {
    if (out.by->warned.exchange(true)) return;
    host().warning("rules." + std::to_string(out.by->index) + " rewrote " + what + " \"" +
                   std::string{topic} + "\" to \"" + out.topic +
                   "\", which the broker refused; the original is kept (logged once per rule)");
  }

  // message.publish, on I/O workers: the rules are read-only after init, so no lock.
  hook_result on_publish(const event_view& e) const {
    const auto m = e.message();
    if (!m) return hook_result::continue_chain;
    const std::string_view topic = m->topic();
    const auto out = rewrite(publish_, topic, binds_of(e));
    if (!out || out->topic == topic) return hook_result::continue_chain;
    if (m->set_topic(out->topic) != ECP_OK) {
      warn_refused(*out, topic, "topic");
      host().counter_add("failed_total", 1, "action=publish");
      return hook_result::continue_chain;
    }
    host().counter_add("rewritten_total", 1, "action=publish");
    return hook_result::continue_chain;
  }

  // client.subscribe and client.unsubscribe, once per topic filter, on I/O workers.
  hook_result on_filter(const event_view& e, std::string_view label) const {
    const std::string_view filter = e.topic();
    const std::string_view prefix = share_prefix(filter);
    const std::string_view inner = filter.substr(prefix.size());
    const auto out = rewrite(subscribe_, inner, binds_of(e));
    if (!out || out->topic == inner) return hook_result::continue_chain;
    if (e.set_topic(std::string{prefix} + out->topic) != ECP_OK) {
      warn_refused(*out, inner, "filter");
      host().counter_add("failed_total", 1, label);
      return hook_result::continue_chain;
    }
    host().counter_add("rewritten_total", 1, label);
    return hook_result::continue_chain;
  }

  // A deque: rules never move, so the pointers below and each rule's atomic stay valid.
  std::deque<rule> rules_;
  std::vector<const rule*> publish_;
  std::vector<const rule*> subscribe_;
};

}  // namespace

EMQX_CPP_PLUGIN(topic_rewrite, "topic_rewrite", "1.0.0",
                "Rewrites the topics of PUBLISH, SUBSCRIBE and UNSUBSCRIBE by rules, as EMQX does")
