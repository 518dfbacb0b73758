// SPDX-License-Identifier: Apache-2.0
//
// The real broker with the plugin-host fixtures (plugin_fixtures/) and the SDK examples
// on its search path, a data_dir (and control socket) of its own, and `emqx-cpp ctl`
// to drive it.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/broker_under_test.hpp"
#include "support/mqtt_client.hpp"

namespace emqx_cpp::testing {

// A folder under the test output, emptied.
inline std::string fixture_data_dir(const std::string& name) {
  const auto dir = std::filesystem::path(TEST_OUTPUT_DIR) / ("data-" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

struct fixture_broker {
  fixture_broker(const std::string& name, const std::string& enabled,
                 std::vector<std::string> env = {})
      : dir(fixture_data_dir(name)) {
    env.push_back("EMQX_CPP_PLUGINS__SEARCH_PATH=" + std::string(FIXTURES_DIR) + ":" +
                  std::string(SDK_EXAMPLES_DIR));
    env.push_back("EMQX_CPP_PLUGINS__ENABLED=" + enabled);
    env.push_back("EMQX_CPP_NODE__DATA_DIR=" + dir);
    broker = std::make_unique<broker_under_test>(name, env);
  }

  int port() const { return broker->port(); }

  // Runs `emqx-cpp ctl`; returns (exit code, output).
  std::pair<int, std::string> ctl(const std::vector<std::string>& words) const {
    std::vector<std::string> args = {"ctl", "--socket", dir + "/ctl.sock"};
    args.insert(args.end(), words.begin(), words.end());
    // One file per call and process: tests run in parallel.
    const std::string err = std::string(TEST_OUTPUT_DIR) + "/ctl-" + std::to_string(getpid()) +
                            "-" + std::to_string(++calls) + ".err";
    child_process p(BROKER_BINARY, args, err);
    std::string out;
    while (auto line = p.read_line(std::chrono::seconds(10)))
      out += *line + "\n";
    auto st = p.wait_exit(std::chrono::seconds(10));
    out += read_file(err);
    return {st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1, out};
  }

  // A fresh client can connect and get a PINGRESP.
  bool serves() const {
    mqtt_client c("127.0.0.1", broker->port());
    return c.connect("probe-" + std::to_string(++probes)) && c.ping();
  }

  std::string dir;
  std::unique_ptr<broker_under_test> broker;
  mutable int probes = 0;
  mutable int calls = 0;
};

}  // namespace emqx_cpp::testing
