// SPDX-License-Identifier: Apache-2.0
//
// Walks the parsed TOML document against the key table, then applies the EMQX_CPP_*
// environment. Every problem in the file is collected with its position and the first
// one in file order is reported: toml++ iterates tables in key order, not file order, and
// an operator fixes a file from the top.
#include "config/loader.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>

#include "config/convert.hpp"
#include "config/schema.hpp"
#include "config/values.hpp"

namespace emqx_cpp::config {
namespace {

constexpr std::string_view env_prefix = "EMQX_CPP_";

struct position {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  bool operator<(const position& o) const {
    return std::tie(line, column) < std::tie(o.line, o.column);
  }
};

position where(const toml::key& k, const toml::node& n) {
  const auto& src = k.source().begin.line != 0 ? k.source().begin : n.source().begin;
  return {src.line, src.column};
}

// Environment variable names are upper case; keys and most names are lower case.
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Listener and plugin names become parts of keys and of environment variable names.
bool is_plain_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

constexpr std::string_view plain_name_rule = "names may use only letters, digits, '_' and '-'";

std::string listener_key_path(std::string_view name, const key_spec& k) {
  return "listeners.tcp." + std::string(name) + "." + std::string(leaf_of(k.path));
}

// Sections and keys an unknown path may be a typo of. `listener` adds that listener's
// keys when the path is inside one.
std::vector<std::string> known_paths(std::optional<std::string_view> listener) {
  std::vector<std::string> out{"listeners", "listeners.tcp"};
  for (const auto& k : keys()) {
    if (k.global.set != nullptr) {
      out.emplace_back(k.path);
      for (auto s = section_of(k.path); !s.empty(); s = section_of(s))
        out.emplace_back(s);
    } else if (listener) {
      out.push_back(listener_key_path(*listener, k));
    }
  }
  return out;
}

std::string unknown(std::string_view what, const std::string& path,
                    std::optional<std::string_view> listener) {
  std::string best;
  std::size_t best_distance = 3;  // suggest only within two edits
  for (const auto& candidate : known_paths(listener)) {
    const auto d = edit_distance(path, candidate);
    if (d > 0 && d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  std::string reason = "unknown " + std::string(what);
  if (!best.empty()) reason += ", did you mean " + best + "?";
  return reason;
}

bool is_section(std::string_view path) {
  for (const auto& k : keys()) {
    if (k.global.set == nullptr) continue;
    for (auto s = section_of(k.path); !s.empty(); s = section_of(s)) {
      if (s == path) return true;
    }
  }
  return false;
}

std::string plugin_text(const toml::table& t) {
  std::ostringstream os;
  os << toml::toml_formatter(
      t, toml::toml_formatter::default_flags & ~toml::format_flags::indentation);
  return os.str();
}

class loader {
 public:
  explicit loader(broker_config& cfg) : cfg_(cfg) {}

  void walk(const toml::table& root) {
    for (const auto& [k, n] : root) {
      const std::string name(k.str());
      if (name == "listeners") {
        walk_listeners(k, n);
      } else if (name == "plugins") {
        walk_plugins(k, n);
      } else {
        walk_entry(k, n, name);
      }
    }
    std::sort(listeners_.begin(), listeners_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [pos, l] : listeners_) {
      cfg_.tcp_listeners.push_back(std::move(l));
    }
    std::sort(plugins_.begin(), plugins_.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  }

  // The first problem in file order, as "LINE:COL: KEY: REASON".
  std::optional<std::string> first_problem() const {
    if (problems_.empty()) return std::nullopt;
    const auto& p = *std::min_element(problems_.begin(), problems_.end(),
                                      [](const auto& a, const auto& b) { return a.at < b.at; });
    return std::to_string(p.at.line) + ":" + std::to_string(p.at.column) + ": " + p.key + ": " +
           p.reason;
  }

  // Applies one EMQX_CPP_* variable; returns "KEY: REASON" when it is refused.
  std::optional<std::string> apply_env(std::string_view name, std::string_view text) {
    const std::string rest = lower(name.substr(env_prefix.size()));
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const auto sep = rest.find("__", start);
      parts.push_back(rest.substr(start, sep == std::string::npos ? sep : sep - start));
      if (sep == std::string::npos) break;
      start = sep + 2;
    }
    std::string path;
    bool empty_part = false;
    for (const auto& p : parts) {
      path += (path.empty() ? "" : ".") + p;
      empty_part = empty_part || p.empty();
    }
    auto refused = [&](const std::string& reason) { return path + ": " + reason; };
    if (empty_part) return refused(unknown("key", path, std::nullopt));

    if (parts[0] == "listeners") {
      const key_spec* spec = nullptr;
      if (parts.size() == 4 && parts[1] == "tcp" && is_plain_name(parts[2])) {
        spec = find_listener_key(parts[3]);
      }
      if (spec == nullptr) {
        const auto listener =
            parts.size() >= 3 ? std::optional<std::string_view>(parts[2]) : std::nullopt;
        return refused(unknown("key", path, listener));
      }
      auto v = convert_text(*spec, text);
      if (!v) return refused(v.err().message);
      spec->listener.set(listener_named(parts[2]), v.value());
      return std::nullopt;
    }
    if (parts[0] == "plugins" && parts.size() >= 3 && is_plain_name(parts[1]) &&
        find_global_key("plugins." + parts[1]) == nullptr) {
      return set_plugin_key(parts, text, refused);
    }
    const auto* spec = find_global_key(path);
    if (spec == nullptr) return refused(unknown("key", path, std::nullopt));
    auto v = convert_text(*spec, text);
    if (!v) return refused(v.err().message);
    spec->global.set(cfg_, v.value());
    return std::nullopt;
  }

  void finish() {
    for (const auto& [pos, name, table] : plugins_) {
      cfg_.plugins.tables.emplace_back(name, plugin_text(table));
    }
  }

 private:
  struct problem {
    position at;
    std::string key;
    std::string reason;
  };

  void report(const toml::key& k, const toml::node& n, std::string key, std::string reason) {
    problems_.push_back({where(k, n), std::move(key), std::move(reason)});
  }

  void must_be_table(const toml::key& k, const toml::node& n, const std::string& path) {
    report(k, n, path, "must be a table, got " + shown(n));
  }

  void walk_entry(const toml::key& k, const toml::node& n, const std::string& path) {
    if (const auto* spec = find_global_key(path)) {
      auto v = convert(*spec, n);
      if (!v) return report(k, n, path, v.err().message);
      return spec->global.set(cfg_, v.value());
    }
    if (is_section(path)) {
      const auto* t = n.as_table();
      if (t == nullptr) return must_be_table(k, n, path);
      for (const auto& [ck, cn] : *t)
        walk_entry(ck, cn, path + "." + std::string(ck.str()));
      return;
    }
    report(k, n, path, unknown(n.is_table() ? "section" : "key", path, std::nullopt));
  }

  // A [listeners] table replaces the default listener with exactly the ones it lists.
  void walk_listeners(const toml::key& k, const toml::node& n) {
    cfg_.tcp_listeners.clear();
    const auto* t = n.as_table();
    if (t == nullptr) return must_be_table(k, n, "listeners");
    for (const auto& [tk, tn] : *t) {
      const std::string type_path = "listeners." + std::string(tk.str());
      if (tk.str() != "tcp") {
        report(tk, tn, type_path, unknown(tn.is_table() ? "section" : "key", type_path, {}));
        continue;
      }
      const auto* tcp = tn.as_table();
      if (tcp == nullptr) {
        must_be_table(tk, tn, type_path);
        continue;
      }
      for (const auto& [lk, ln] : *tcp)
        walk_listener(lk, ln);
    }
  }

  void walk_listener(const toml::key& k, const toml::node& n) {
    const std::string name(k.str());
    const std::string path = "listeners.tcp." + name;
    if (!is_plain_name(name)) {
      return report(k, n, path, "bad listener name: " + std::string(plain_name_rule));
    }
    const auto* t = n.as_table();
    if (t == nullptr) return must_be_table(k, n, path);
    tcp_listener_config l;
    l.name = name;
    for (const auto& [fk, fn] : *t) {
      const std::string key_path = path + "." + std::string(fk.str());
      const auto* spec = find_listener_key(fk.str());
      if (spec == nullptr) {
        report(fk, fn, key_path, unknown(fn.is_table() ? "section" : "key", key_path, name));
        continue;
      }
      auto v = convert(*spec, fn);
      if (!v) {
        report(fk, fn, key_path, v.err().message);
        continue;
      }
      spec->listener.set(l, v.value());
    }
    listeners_.emplace_back(where(k, n), std::move(l));
  }

  // [plugins]: its own keys are checked here; [plugins.<name>] tables are kept as they
  // are, for the plugin host.
  void walk_plugins(const toml::key& k, const toml::node& n) {
    const auto* t = n.as_table();
    if (t == nullptr) return must_be_table(k, n, "plugins");
    for (const auto& [pk, pn] : *t) {
      const std::string name(pk.str());
      const std::string path = "plugins." + name;
      if (find_global_key(path) != nullptr) {
        walk_entry(pk, pn, path);
      } else if (const auto* pt = pn.as_table()) {
        if (!is_plain_name(name)) {
          report(pk, pn, path, "bad plugin name: " + std::string(plain_name_rule));
          continue;
        }
        plugins_.emplace_back(where(pk, pn), name, *pt);
      } else {
        report(pk, pn, path, unknown("key", path, std::nullopt));
      }
    }
  }

  tcp_listener_config& listener_named(const std::string& lower_name) {
    for (auto& l : cfg_.tcp_listeners) {
      if (lower(l.name) == lower_name) return l;
    }
    // A listener named only in the environment starts from the defaults.
    tcp_listener_config l;
    l.name = lower_name;
    return cfg_.tcp_listeners.emplace_back(std::move(l));
  }

  // EMQX_CPP_PLUGINS__<NAME>__<KEY>[__<KEY>...]: the plugin checks its own keys, so the
  // text is stored as the TOML value it spells ("5", "true", "[1, 2]") or else as a
  // string.
  template <class Refused>
  std::optional<std::string> set_plugin_key(const std::vector<std::string>& parts,
                                            std::string_view text, Refused& refused) {
    auto it = std::find_if(plugins_.begin(), plugins_.end(),
                           [&](const auto& p) { return lower(std::get<1>(p)) == parts[1]; });
    if (it == plugins_.end()) {
      plugins_.emplace_back(position{~0U, 0}, parts[1], toml::table{});
      it = plugins_.end() - 1;
    }
    toml::table* t = &std::get<2>(*it);
    for (std::size_t i = 2; i + 1 < parts.size(); ++i) {
      auto* node = t->get(parts[i]);
      if (node == nullptr) node = &t->insert(parts[i], toml::table{}).first->second;
      t = node->as_table();
      if (t == nullptr) return refused("is inside a value that is not a table");
    }
    std::optional<toml::table> parsed;
    try {
      parsed = toml::parse("v = " + std::string(text));
    } catch (const toml::parse_error&) {
      parsed.reset();
    }
    if (parsed && parsed->size() == 1 && parsed->contains("v")) {
      t->insert_or_assign(parts.back(), std::move(*parsed->get("v")));
    } else {
      t->insert_or_assign(parts.back(), std::string(text));
    }
    return std::nullopt;
  }

  broker_config& cfg_;
  std::vector<problem> problems_;
  std::vector<std::pair<position, tcp_listener_config>> listeners_;
  std::vector<std::tuple<position, std::string, toml::table>> plugins_;
};

emqx_cpp::error fail(load_errc code, std::string message) {
  return emqx_cpp::make_error(std::move(message), static_cast<int>(code));
}

}  // namespace

broker_config defaults() {
  return broker_config{};
}

emqx_cpp::result<broker_config> load_config_string(std::string_view toml,
                                                   const std::string& display_name,
                                                   const environment& env) {
  toml::table root;
  try {
    root = toml::parse(toml, std::string_view(display_name));
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return fail(load_errc::syntax, display_name + ":" + std::to_string(at.line) + ":" +
                                       std::to_string(at.column) +
                                       ": syntax error: " + std::string(e.description()));
  }

  broker_config cfg = defaults();
  loader l(cfg);
  l.walk(root);
  if (const auto problem = l.first_problem()) {
    return fail(load_errc::invalid, display_name + ":" + *problem);
  }

  // Sorted so that the first bad variable reported does not depend on environ's order.
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [name, text] : env) {
    if (name.starts_with(env_prefix)) overrides.emplace_back(name, text);
  }
  std::sort(overrides.begin(), overrides.end());
  for (const auto& [name, text] : overrides) {
    if (const auto problem = l.apply_env(name, text)) {
      return fail(load_errc::bad_env, "env " + name + ": " + *problem);
    }
  }
  l.finish();
  const auto& op = cfg.overload_protection;
  if (op.memory_low_watermark >= op.memory_high_watermark) {
    return fail(load_errc::invalid, display_name +
                                        ": overload_protection.memory_low_watermark: must be below "
                                        "overload_protection.memory_high_watermark (" +
                                        std::to_string(op.memory_low_watermark) + " >= " +
                                        std::to_string(op.memory_high_watermark) + " bytes)");
  }
  return cfg;
}

emqx_cpp::result<broker_config> load_config_file(const std::string& path, const environment& env) {
  auto unreadable = [&] {
    return fail(load_errc::unreadable,
                path + ": cannot read: " + std::generic_category().message(errno));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable();
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable();
  auto cfg = load_config_string(text.str(), path, env);
  if (cfg) cfg.value().source_file = path;
  return cfg;
}

environment process_environment() {
  environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace emqx_cpp::config
