// SPDX-License-Identifier: Apache-2.0
//
// A plugin's manifest, `<name>.plugin.toml` next to `<name>.so` (format in
// docs/plugins/manifest.md): its name, version, ABI and the schema of its
// [plugins.<name>] table. The broker reads it and checks the plugin's configuration
// before any of the plugin's code is loaded, so a typo in broker.toml never reaches a
// plugin, and defaults are applied in one place.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emqx_cpp/plugin.h"
#include "runtime/result.hpp"

namespace emqx_cpp::plugin {

// The schema of a plugin's configuration table; its parts live in manifest.cpp.
struct config_schema;

struct manifest {
  std::string name;
  std::string version;
  std::string description;
  ecp_abi_version abi{0, 0};
  std::string manifest_path;
  std::string library_path;
  std::shared_ptr<const config_schema> config;
  std::vector<std::string> config_keys;  // top-level keys, for messages and docs
};

// Looks for `<name>.plugin.toml` and `<name>.so` in each directory of `search_path`
// (':'-separated) and reads the first manifest found.
result<manifest> find_manifest(const std::string& name, const std::string& search_path);
result<manifest> read_manifest(const std::string& manifest_path);

// A plugin's configuration, checked against its manifest and completed with defaults.
class plugin_config {
 public:
  plugin_config();
  ~plugin_config();
  plugin_config(plugin_config&&) noexcept;
  plugin_config& operator=(plugin_config&&) noexcept;

  // `table_text` is the [plugins.<name>] table as TOML ("" when absent). Errors name the
  // key as `plugins.<name>.<path>`; `locate` may turn a key into "file:line:col: ".
  static result<plugin_config> resolve(const manifest& m, std::string_view table_text,
                                       const std::string& source_file);

  // Lookups by dotted path, array elements by index ("rules.0.action").
  std::optional<std::string_view> get_string(std::string_view path) const;
  std::optional<std::int64_t> get_int(std::string_view path) const;  // durations in ms
  std::optional<double> get_double(std::string_view path) const;
  std::optional<bool> get_bool(std::string_view path) const;
  std::optional<std::size_t> count(std::string_view path) const;

 private:
  struct values;  // the resolved TOML table, kept out of this header
  std::unique_ptr<values> values_;
};

// Parses "15s", "500ms", "2m", "1h", "1d" into milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

}  // namespace emqx_cpp::plugin
