// SPDX-License-Identifier: Apache-2.0
//
// Shared by the tests of the in-tree plugins: writes a broker.toml that points
// [plugins] search_path at the build's plugins folder (where emqx_cpp_add_plugin puts each
// <name>.so and <name>.plugin.toml), enables the given plugins with their tables, and
// starts the real broker with `--config` on it, so the plugins are loaded exactly as an
// operator would load them.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/broker_under_test.hpp"
#include "support/eventually.hpp"

namespace emqx_cpp::testing {

// A folder of its own for one test: its broker.toml, its data_dir (and control socket).
inline std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::path(TEST_OUTPUT_DIR) / ("plugins-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// broker.toml with the plugins' search path and data_dir filled in; `enabled` is the
// inside of the `enabled = [...]` list and `tables` the [plugins.<name>] tables.
inline std::string write_config(const std::string& dir, const std::string& enabled,
                                const std::string& tables) {
  std::string path = dir + "/broker.toml";
  std::ofstream(path) << "[node]\n"
                      << "data_dir = \"" << dir << "/data\"\n"
                      << "\n"
                      << "[plugins]\n"
                      << "search_path = \"" << PLUGINS_DIR << "\"\n"
                      << "enabled = [" << enabled << "]\n"
                      << "\n"
                      << tables;
  return path;
}

struct plugins_broker {
  plugins_broker(const std::string& name, const std::string& enabled, const std::string& tables)
      : dir(fresh_dir(name)), config(write_config(dir, enabled, tables)) {
    broker = std::make_unique<broker_under_test>(name, std::vector<std::string>{}, config);
  }

  int port() const { return broker->port(); }
  std::string log() const { return broker->log(); }

  std::string dir;
  std::string config;
  std::unique_ptr<broker_under_test> broker;
};

}  // namespace emqx_cpp::testing
