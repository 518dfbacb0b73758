// SPDX-License-Identifier: Apache-2.0
//
// Starts the real emqx-cpp binary on a free loopback port (bind 127.0.0.1:0 through
// the environment override) with optional extra overrides and an optional config file,
// waits until it listens, and stops it by PID at the end of the test.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace emqx_cpp::testing {

class broker_under_test {
 public:
  // `env`: extra "EMQX_CPP_...=value" overrides. `name` names the log file.
  // `config_file`: when not empty, the broker starts with `--config config_file`.
  explicit broker_under_test(const std::string& name, std::vector<std::string> env = {},
                             const std::string& config_file = {});

  int port() const { return port_; }
  // The port of another listener (<type>:<name>), 0 if it is not there.
  int port_of(const std::string& listener, const std::string& type = "tcp") const;
  // The HTTP listener's port (dashboard.listeners.http), 0 if it is off.
  int http_port() const;
  const std::string& log_path() const { return log_path_; }
  std::string log() const { return read_file(log_path_); }
  // SIGTERM and wait; returns the wait status.
  std::optional<int> stop();
  child_process& process() { return *process_; }

 private:
  std::string log_path_;
  std::unique_ptr<child_process> process_;
  int port_ = 0;
  std::vector<std::string> banner_;  // what the broker printed up to "is running"
};

}  // namespace emqx_cpp::testing
