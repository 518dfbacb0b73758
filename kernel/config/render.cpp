// SPDX-License-Identifier: Apache-2.0
//
// Writing the key table back out: the effective configuration as TOML (describe), the
// annotated default file (conf/broker.toml) and the Markdown key reference. All three
// walk the same table in the same order, so a key added there appears everywhere.
#include <toml++/toml.h>

#include <array>
#include <charconv>
#include <sstream>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/values.hpp"

namespace emqx_cpp::config {
namespace {

struct section_note {
  std::string_view section;
  std::string_view text;
};

// One note per section header: what the section is for, where it is not obvious.
constexpr section_note section_notes[] = {
    {"node", "This node."},
    {"listeners.tcp.<name>",
     "TCP listeners, one [listeners.tcp.<name>] table each. With no [listeners] table the "
     "broker listens on 0.0.0.0:1883 only; with one, it opens exactly the listeners listed."},
    {"mqtt", "MQTT protocol limits and session defaults (EMQX's mqtt.*)."},
    {"flow_control",
     "Back-pressure. When the broker is behind delivering to an online subscriber, the "
     "publishers feeding it are read no more until its queue drains, instead of "
     "acknowledged messages being dropped (docs/design/flow-control.md)."},
    {"force_shutdown",
     "EMQX's per-connection limits: a connected client for which the broker holds more "
     "than this is disconnected."},
    {"overload_protection",
     "The node's memory budget, measured as the heap the process has in use (EMQX's "
     "overload_protection has no memory budget; these keys are emqx-cpp's)."},
    {"retainer", "Retained messages."},
    {"authorization.cache",
     "Authorization: each connection caches the decisions of the client.authorize chain "
     "(EMQX's authorization.cache); a reload of an authorization plugin or a clear through "
     "the plugin API empties every cache."},
    {"sys_topics", "$SYS topics: broker statistics and client events."},
    {"sys_topics.sys_event_messages", "Which client events are published under $SYS."},
    {"dashboard.listeners.http",
     "The HTTP listener: GET /status for health checks and the /api/v5 routes plugins add. "
     "It has no authentication yet, so it listens on loopback unless told otherwise."},
    {"log", "Logging."},
    {"plugins",
     "Plugins. A [plugins.<name>] table holds the settings of plugin <name>; the plugin "
     "checks them when it is loaded."},
};

std::string_view note_for(std::string_view section) {
  for (const auto& n : section_notes) {
    if (n.section == section) return n.text;
  }
  return {};
}

std::string zero_word_text(zero_word w) {
  return w == zero_word::infinity ? "\"infinity\"" : "\"disabled\"";
}

std::string range_text(const key_spec& key, std::string (*fmt)(std::uint64_t)) {
  if (key.max == unbounded) return key.min == 0 ? "" : ", at least " + fmt(key.min);
  return ", from " + fmt(key.min) + " to " + fmt(key.max);
}

std::string format_real(double d) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  std::string s(buf.data(), res.ptr);
  // TOML reads "2" as an integer; keep floats recognisable as floats.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

bool is_listener_key(const key_spec& k) {
  return k.listener.set != nullptr;
}

void comment_block(std::string& out, std::string_view text) {
  // Wrap at word boundaries so conf/broker.toml stays readable in an 88-column terminal.
  constexpr std::size_t width = 86;
  std::string line;
  std::istringstream words{std::string(text)};
  std::string w;
  while (words >> w) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      out += "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) out += "# " + line + "\n";
}

// Writes every key of `cfg` grouped in sections. `annotated` adds the comments of
// conf/broker.toml and writes each value as its default text, which keeps the
// spelling EMQX uses ("300s" rather than "5m").
std::string render_config(const broker_config& cfg, bool annotated) {
  std::string out;
  std::string_view current;
  auto open_section = [&](std::string_view header, std::string_view note_key) {
    if (!out.empty()) out += "\n";
    if (annotated && !note_for(note_key).empty()) comment_block(out, note_for(note_key));
    out += "[" + std::string(header) + "]\n";
  };
  auto write_key = [&](const key_spec& k, const value& v) {
    if (annotated) {
      if (!out.ends_with("]\n")) out += "\n";
      comment_block(out, k.meaning);
      comment_block(out,
                    "allowed: " + allowed_text(k) + "; default: " + std::string(k.default_text));
    }
    out += std::string(leaf_of(k.path)) + " = " +
           (annotated ? std::string(k.default_text) : render_value(k, v)) + "\n";
  };

  bool listeners_done = false;
  for (const auto& k : keys()) {
    if (is_listener_key(k)) {
      if (listeners_done) continue;
      listeners_done = true;
      if (cfg.tcp_listeners.empty()) {
        open_section("listeners", "listeners.tcp.<name>");
        out += "# no listeners\n";
      }
      for (const auto& l : cfg.tcp_listeners) {
        open_section("listeners.tcp." + l.name, "listeners.tcp.<name>");
        for (const auto& lk : keys()) {
          if (is_listener_key(lk)) write_key(lk, lk.listener.get(l));
        }
      }
      current = {};
      continue;
    }
    if (section_of(k.path) != current) {
      current = section_of(k.path);
      open_section(current, current);
    }
    write_key(k, k.global.get(cfg));
  }

  if (!cfg.plugins.tables.empty()) {
    // Rebuilt as one document so that tables nested in a plugin's table get their full
    // [plugins.<name>.<sub>] headers back.
    toml::table plugins;
    for (const auto& [name, text] : cfg.plugins.tables) {
      try {
        plugins.insert_or_assign(name, toml::parse(text));
      } catch (const toml::parse_error&) {
        // Only a hand-built broker_config gets here; keep its text visible.
        out += "\n# [plugins." + name + "] is not valid TOML:\n";
        comment_block(out, text);
      }
    }
    toml::table root;
    root.insert("plugins", std::move(plugins));
    std::ostringstream os;
    os << toml::toml_formatter(
        root, toml::toml_formatter::default_flags & ~toml::format_flags::indentation);
    out += "\n" + os.str() + "\n";
  }
  return out;
}

// Backquotes words holding '<' or '$' so Markdown shows them as written.
std::string markdown_text(std::string_view text) {
  std::string out;
  std::istringstream words{std::string(text)};
  std::string w;
  while (words >> w) {
    if (!out.empty()) out += ' ';
    if (w.find_first_of("<$") == std::string::npos) {
      out += w;
      continue;
    }
    std::size_t lead = 0;
    while (lead < w.size() && w[lead] == '(')
      ++lead;
    std::size_t end = w.size();
    while (end > lead && std::string_view(",;)").find(w[end - 1]) != std::string_view::npos) {
      --end;
    }
    out += w.substr(0, lead) + "`" + w.substr(lead, end - lead) + "`" + w.substr(end);
  }
  return out;
}

}  // namespace

std::string allowed_text(const key_spec& key) {
  std::string s;
  switch (key.type) {
    case kind::boolean:
      return "true or false";
    case kind::integer:
      s = key.max == unbounded
              ? "an integer >= " + std::to_string(key.min)
              : "an integer in " + std::to_string(key.min) + ".." + std::to_string(key.max);
      break;
    case kind::duration:
      s = R"(a duration such as "15s" (units ms, s, m, h, d))" +
          range_text(key, format_duration_ms);
      break;
    case kind::size:
      s = R"(a size such as "1MB" (B, KB, MB, GB; 1024-based) or a number of bytes)" +
          range_text(key, format_size);
      break;
    case kind::number:
      return "a number > 0 and <= " + std::to_string(key.max);
    case kind::string:
      return key.text_rule.empty() ? "a string" : "a string " + std::string(key.text_rule);
    case kind::enumeration:
      s = "one of ";
      for (std::size_t i = 0; i < key.choices.size(); ++i) {
        s += (i == 0 ? "" : ", ") + std::string(key.choices[i]);
      }
      return s;
    case kind::bind:
      return R"("host:port", "[ipv6]:port" or "port", with an IP address and port 0..65535)";
    case kind::string_list:
      return "an array of strings";
    case kind::priorities:
      return R"("disabled" or a table of topic = priority (1..255), e.g. { "alarm/fire" = 10 })";
    case kind::rate:
      return R"("<amount>/<period>" such as "100/s" or "10MB/2s" (a size unit for bytes, a )"
             R"(duration for the period), or "infinity")";
  }
  if (key.word != zero_word::none) {
    s += (s.find(',') == std::string::npos ? " or " : ", or ") + zero_word_text(key.word);
  }
  return s;
}

std::string render_value(const key_spec& key, const value& v) {
  const bool zero_as_word = key.word != zero_word::none && v.number == 0;
  switch (key.type) {
    case kind::boolean:
      return v.boolean ? "true" : "false";
    case kind::integer:
      return zero_as_word ? zero_word_text(key.word) : std::to_string(v.number);
    case kind::duration:
      return zero_as_word ? zero_word_text(key.word) : toml_quote(format_duration_ms(v.number));
    case kind::size:
      return toml_quote(format_size(v.number));
    case kind::priorities: {
      if (v.list.empty()) return toml_quote("disabled");
      std::string s = "{ ";
      for (std::size_t i = 0; i + 1 < v.list.size(); i += 2)
        s += (i == 0 ? "" : ", ") + toml_quote(v.list[i]) + " = " + v.list[i + 1];
      return s + " }";
    }
    case kind::rate:
      return toml_quote(v.number == 0 ? "infinity"
                                      : format_rate(v.number, static_cast<std::uint64_t>(v.real)));
    case kind::number:
      return format_real(v.real);
    case kind::string:
      return toml_quote(v.text);
    case kind::enumeration:
      if (v.text.empty() && v.number < key.choices.size()) {
        return toml_quote(key.choices[v.number]);
      }
      return toml_quote(v.text);
    case kind::bind:
      return toml_quote(format_bind({v.text, static_cast<std::uint16_t>(v.number)}));
    case kind::string_list: {
      std::string s = "[";
      for (std::size_t i = 0; i < v.list.size(); ++i) {
        s += (i == 0 ? "" : ", ") + toml_quote(v.list[i]);
      }
      return s + "]";
    }
  }
  return {};
}

std::string describe(const broker_config& cfg) {
  return render_config(cfg, false);
}

std::string sample_config() {
  std::string out =
      "# SPDX-License-Identifier: Apache-2.0\n"
      "#\n";
  comment_block(out,
                "emqx-cpp broker configuration: every key at its default. Durations are strings "
                "with a unit (\"500ms\", \"15s\", \"1m\", \"2h\", \"1d\"); sizes are \"512B\", "
                "\"64KB\", \"1MB\", \"1GB\" (1024-based) or a number of bytes. An unknown key or a "
                "bad value stops start-up with the file, line, key and reason.");
  out += "#\n";
  comment_block(out,
                "Environment variables override this file: EMQX_CPP_<SECTION>__<KEY>, upper case, "
                "levels separated by two underscores, e.g. EMQX_CPP_MQTT__MAX_INFLIGHT=64 or "
                "EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND=127.0.0.1:1884. Key reference: "
                "docs/design/config.md.");
  out += "\n";
  out += render_config(broker_config{}, true);
  return out;
}

std::string reference_markdown() {
  std::string out;
  std::string_view current;
  for (const auto& k : keys()) {
    const auto section = section_of(k.path);
    if (section != current) {
      current = section;
      out += (out.empty() ? "" : "\n") + std::string("### `[") + std::string(section) + "]`\n\n";
      if (!note_for(section).empty()) out += markdown_text(note_for(section)) + "\n\n";
      out += "| key | allowed values | default | meaning |\n|---|---|---|---|\n";
    }
    out += "| `" + std::string(k.path) + "` | " + markdown_text(allowed_text(k)) + " | `" +
           std::string(k.default_text) + "` | " + markdown_text(k.meaning) + " |\n";
  }
  return out;
}

}  // namespace emqx_cpp::config
