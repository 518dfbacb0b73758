// SPDX-License-Identifier: Apache-2.0
#include "plugin/manifest.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <charconv>
#include <filesystem>
#include <map>
#include <sstream>

namespace emqx_cpp::plugin {

struct field_schema {
  std::string type;
  bool required = false;
  std::optional<toml::table> default_holder;  // {"value" = <default>}
  std::vector<std::string> choices;
  std::optional<double> min;
  std::optional<double> max;
  std::string items;
  std::map<std::string, field_schema> fields;
};

struct config_schema {
  std::map<std::string, field_schema> fields;
};

struct plugin_config::values {
  toml::table table;
};

namespace {
const char* const known_types[] = {"string",   "integer", "float", "boolean",
                                   "duration", "array",   "table"};

bool known_type(std::string_view t) {
  for (const char* k : known_types)
    if (t == k) return true;
  return false;
}

result<field_schema> read_field(const toml::table& t, const std::string& where) {
  field_schema f;
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    if (key != "type" && key != "default" && key != "required" && key != "description" &&
        key != "enum" && key != "min" && key != "max" && key != "items" && key != "fields")
      return make_error(fmt::format("{}: unknown schema key {}", where, key));
  }
  f.type = t["type"].value_or(std::string{});
  if (!known_type(f.type))
    return make_error(
        fmt::format("{}: type must be one of string, integer, float, boolean, "
                    "duration, array, table",
                    where));
  f.required = t["required"].value_or(false);
  if (const auto* d = t.get("default")) {
    toml::table holder;
    holder.insert("value", *d);
    f.default_holder = std::move(holder);
  }
  if (const auto* e = t.get_as<toml::array>("enum")) {
    for (const auto& v : *e) {
      if (!v.is_string()) return make_error(where + ": enum must be a list of strings");
      f.choices.push_back(*v.value<std::string>());
    }
  }
  if (auto v = t["min"].value<double>()) f.min = *v;
  if (auto v = t["max"].value<double>()) f.max = *v;
  f.items = t["items"].value_or(std::string{});
  if (f.type == "array" && !known_type(f.items))
    return make_error(where + ": an array needs items = <element type>");
  if (const auto* fields = t.get_as<toml::table>("fields")) {
    for (const auto& [name, sub] : *fields) {
      const auto* st = sub.as_table();
      if (st == nullptr)
        return make_error(fmt::format("{}.fields.{}: must be a table", where, name.str()));
      auto nested = read_field(*st, fmt::format("{}.fields.{}", where, name.str()));
      if (!nested) return nested.err();
      f.fields.emplace(std::string(name.str()), std::move(nested.value()));
    }
  }
  return f;
}

std::string type_of(const toml::node& n) {
  if (n.is_string()) return "a string";
  if (n.is_integer()) return "an integer";
  if (n.is_floating_point()) return "a float";
  if (n.is_boolean()) return "a boolean";
  if (n.is_array()) return "an array";
  if (n.is_table()) return "a table";
  return "a date or time";
}

std::string short_text(const toml::node& n) {
  std::ostringstream os;
  if (auto s = n.value<std::string>()) {
    os << '"' << *s << '"';
  } else {
    n.visit([&](const auto& v) { os << v; });
  }
  std::string out = os.str();
  if (out.size() > 40) out.replace(37, std::string::npos, "...");
  return out;
}

// Checks `n` (the value at `path`) against `f`, filling defaults of nested tables.
std::optional<std::string> check_value(const field_schema& f, toml::node& n,
                                       const std::string& path);

std::optional<std::string> check_table(const std::map<std::string, field_schema>& fields,
                                       toml::table& t, const std::string& path) {
  for (const auto& [k, v] : t) {
    if (fields.count(std::string(k.str())) == 0) {
      std::string known;
      for (const auto& [name, unused] : fields)
        known += (known.empty() ? "" : ", ") + name;
      return fmt::format("{}{}: unknown key (known: {})", path.empty() ? "" : path + ".", k.str(),
                         known.empty() ? "none" : known);
    }
  }
  for (const auto& [name, f] : fields) {
    const std::string where = path.empty() ? name : path + "." + name;
    toml::node* n = t.get(name);
    if (n == nullptr) {
      if (f.default_holder) {
        t.insert(name, *f.default_holder->get("value"));
        continue;
      }
      if (f.required) return fmt::format("{}: missing (required by the plugin)", where);
      continue;
    }
    if (auto problem = check_value(f, *n, where)) return problem;
  }
  return std::nullopt;
}

std::optional<std::string> check_scalar(const std::string& type, const field_schema& f,
                                        toml::node& n, const std::string& path) {
  auto wrong = [&](const char* want) {
    return fmt::format("{}: must be {}, got {}", path, want, type_of(n));
  };
  if (type == "string") {
    if (!n.is_string()) return wrong("a string");
    if (!f.choices.empty()) {
      const auto v = *n.value<std::string>();
      bool ok = false;
      std::string all;
      for (const auto& c : f.choices) {
        ok = ok || c == v;
        all += (all.empty() ? "" : ", ") + c;
      }
      if (!ok) return fmt::format("{}: must be one of {}, got \"{}\"", path, all, v);
    }
    return std::nullopt;
  }
  if (type == "integer" || type == "float") {
    if (!n.is_integer() && !(type == "float" && n.is_floating_point()))
      return wrong(type == "integer" ? "an integer" : "a number");
    const double v = *n.value<double>();
    if ((f.min && v < *f.min) || (f.max && v > *f.max))
      return fmt::format("{}: must be in {}..{}, got {}", path,
                         f.min ? fmt::format("{}", *f.min) : "",
                         f.max ? fmt::format("{}", *f.max) : "", short_text(n));
    return std::nullopt;
  }
  if (type == "boolean") return n.is_boolean() ? std::nullopt : std::optional(wrong("a boolean"));
  if (type == "duration") {
    if (!n.is_string() || !parse_duration_ms(*n.value<std::string>()))
      return fmt::format("{}: must be a duration such as \"15s\" (ms, s, m, h, d), got {}", path,
                         short_text(n));
    return std::nullopt;
  }
  return fmt::format("{}: unsupported type {}", path, type);
}

std::optional<std::string> check_value(const field_schema& f, toml::node& n,
                                       const std::string& path) {
  if (f.type == "table") {
    auto* t = n.as_table();
    if (t == nullptr) return fmt::format("{}: must be a table, got {}", path, type_of(n));
    return check_table(f.fields, *t, path);
  }
  if (f.type == "array") {
    auto* a = n.as_array();
    if (a == nullptr) return fmt::format("{}: must be an array, got {}", path, type_of(n));
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string where = fmt::format("{}.{}", path, i);
      toml::node& e = *a->get(i);
      if (f.items == "table") {
        auto* t = e.as_table();
        if (t == nullptr) return fmt::format("{}: must be a table, got {}", where, type_of(e));
        if (auto problem = check_table(f.fields, *t, where)) return problem;
      } else if (auto problem = check_scalar(f.items, f, e, where)) {
        return problem;
      }
    }
    return std::nullopt;
  }
  return check_scalar(f.type, f, n, path);
}

const toml::node* lookup(const toml::table& root, std::string_view path) {
  const toml::node* n = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string_view part =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (const auto* t = n->as_table()) {
      n = t->get(part);
    } else if (const auto* a = n->as_array()) {
      std::size_t i = 0;
      const auto r = std::from_chars(part.data(), part.data() + part.size(), i);
      n = r.ec == std::errc{} ? a->get(i) : nullptr;
    } else {
      return nullptr;
    }
    if (n == nullptr || dot == std::string_view::npos) return n;
    start = dot + 1;
  }
}

// "file:line:col: " for the key `plugins.<name>.<path>` in the broker's config file.
std::string locate(const std::string& source_file, const std::string& full_path) {
  if (source_file.empty()) return {};
  try {
    const toml::table file = toml::parse_file(source_file);
    const toml::node* n = lookup(file, full_path);
    if (n == nullptr) return source_file + ": ";
    const auto& b = n->source().begin;
    return fmt::format("{}:{}:{}: ", source_file, b.line, b.column);
  } catch (const toml::parse_error&) {
    return source_file + ": ";
  }
}

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::int64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || value < 0) return std::nullopt;
  const std::string_view unit(r.ptr, static_cast<std::size_t>(text.data() + text.size() - r.ptr));
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60 * 1000;
  if (unit == "h") return value * 3600 * 1000;
  if (unit == "d") return value * 24 * 3600 * 1000;
  return std::nullopt;
}

result<manifest> read_manifest(const std::string& manifest_path) {
  toml::table t;
  try {
    t = toml::parse_file(manifest_path);
  } catch (const toml::parse_error& e) {
    return make_error(fmt::format("{}:{}:{}: {}", manifest_path, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
  manifest m;
  m.manifest_path = manifest_path;
  m.name = t["name"].value_or(std::string{});
  m.version = t["version"].value_or(std::string{});
  m.description = t["description"].value_or(std::string{});
  const std::string abi = t["abi"].value_or(std::string{});
  unsigned major = 0;
  unsigned minor = 0;
  if (m.name.empty() || std::sscanf(abi.c_str(), "%u.%u", &major, &minor) != 2)
    return make_error(manifest_path + ": needs name = \"...\" and abi = \"<major>.<minor>\"");
  m.abi = ecp_abi_version{static_cast<std::uint16_t>(major), static_cast<std::uint16_t>(minor)};
  auto schema = std::make_shared<config_schema>();
  if (const auto* config = t.get_as<toml::table>("config")) {
    for (const auto& [name, node] : *config) {
      const auto* ft = node.as_table();
      const std::string where = fmt::format("{}: config.{}", manifest_path, name.str());
      if (ft == nullptr) return make_error(where + ": must be a table");
      auto f = read_field(*ft, where);
      if (!f) return f.err();
      schema->fields.emplace(std::string(name.str()), std::move(f.value()));
      m.config_keys.emplace_back(name.str());
    }
  }
  m.config = std::move(schema);
  const auto dir = std::filesystem::path(manifest_path).parent_path();
  m.library_path = (dir / (m.name + ".so")).string();
  return m;
}

result<manifest> find_manifest(const std::string& name, const std::string& search_path) {
  std::string tried;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = search_path.find(':', start);
    std::string dir = search_path.substr(start, colon == std::string::npos ? colon : colon - start);
    if (!dir.empty()) {
      const auto path = (std::filesystem::path(dir) / (name + ".plugin.toml")).string();
      tried += (tried.empty() ? "" : ", ") + path;
      if (std::filesystem::exists(path)) {
        auto m = read_manifest(path);
        if (m && m.value().name != name)
          return make_error(
              fmt::format("{}: names plugin {}, expected {}", path, m.value().name, name));
        return m;
      }
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return make_error(
      fmt::format("plugin {}: no manifest {}.plugin.toml in the search path (tried {})", name, name,
                  tried.empty() ? "nothing" : tried));
}

plugin_config::plugin_config() : values_(std::make_unique<values>()) {}
plugin_config::~plugin_config() = default;
plugin_config::plugin_config(plugin_config&&) noexcept = default;
plugin_config& plugin_config::operator=(plugin_config&&) noexcept = default;

result<plugin_config> plugin_config::resolve(const manifest& m, std::string_view table_text,
                                             const std::string& source_file) {
  plugin_config out;
  try {
    out.values_->table = toml::parse(table_text);
  } catch (const toml::parse_error& e) {
    return make_error(fmt::format("plugins.{}: {}", m.name, e.description()));
  }
  static const config_schema empty;
  const auto& schema = m.config ? *m.config : empty;
  if (auto problem = check_table(schema.fields, out.values_->table, "")) {
    const std::string key = fmt::format("plugins.{}.{}", m.name, *problem);
    const std::string path = key.substr(0, key.find(':'));
    return make_error(locate(source_file, path) + key);
  }
  return out;
}

std::optional<std::string_view> plugin_config::get_string(std::string_view path) const {
  const auto* n = lookup(values_->table, path);
  if (n == nullptr || !n->is_string()) return std::nullopt;
  return std::string_view(n->as_string()->get());
}

std::optional<std::int64_t> plugin_config::get_int(std::string_view path) const {
  const auto* n = lookup(values_->table, path);
  if (n == nullptr) return std::nullopt;
  if (n->is_integer()) return n->as_integer()->get();
  if (n->is_string()) return parse_duration_ms(n->as_string()->get());
  return std::nullopt;
}

std::optional<double> plugin_config::get_double(std::string_view path) const {
  const auto* n = lookup(values_->table, path);
  if (n == nullptr) return std::nullopt;
  return n->value<double>();
}

std::optional<bool> plugin_config::get_bool(std::string_view path) const {
  const auto* n = lookup(values_->table, path);
  if (n == nullptr || !n->is_boolean()) return std::nullopt;
  return n->as_boolean()->get();
}

std::optional<std::size_t> plugin_config::count(std::string_view path) const {
  const toml::node* n = path.empty() ? &values_->table : lookup(values_->table, path);
  if (n == nullptr) return std::nullopt;
  if (const auto* a = n->as_array()) return a->size();
  if (const auto* t = n->as_table()) return t->size();
  return std::nullopt;
}

}  // namespace emqx_cpp::plugin
