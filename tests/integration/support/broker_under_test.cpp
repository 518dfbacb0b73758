// SPDX-License-Identifier: Apache-2.0
#include "support/broker_under_test.hpp"

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace emqx_cpp::testing {

broker_under_test::broker_under_test(const std::string& name, std::vector<std::string> env,
                                     const std::string& config_file)
    : log_path_(std::string(TEST_OUTPUT_DIR) + "/" + name + ".log") {
  env.insert(env.begin(), "EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND=127.0.0.1:0");
  env.insert(env.begin(), "EMQX_CPP_DASHBOARD__LISTENERS__HTTP__BIND=127.0.0.1:0");
  // Debug lines help when a test fails; a test that floods the broker sets its own level.
  const bool level_set = std::any_of(env.begin(), env.end(), [](const std::string& e) {
    return e.rfind("EMQX_CPP_LOG__LEVEL=", 0) == 0;
  });
  if (!level_set) env.push_back("EMQX_CPP_LOG__LEVEL=debug");
  std::vector<std::string> args{"start"};
  if (!config_file.empty()) {
    args.push_back("--config");
    args.push_back(config_file);
  }
  process_ = std::make_unique<child_process>(BROKER_BINARY, args, log_path_, env);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = process_->read_line(std::chrono::seconds(1));
    if (!line) continue;
    banner_.push_back(*line);
    if (line->find(" is running") != std::string::npos) break;
  }
  port_ = port_of("default");
  if (port_ == 0) throw std::runtime_error("broker did not start; log: " + read_file(log_path_));
}

int broker_under_test::http_port() const {
  return port_of("dashboard", "http");
}

int broker_under_test::port_of(const std::string& listener, const std::string& type) const {
  const std::string prefix = "listener " + type + ":" + listener + " on ";
  for (const auto& line : banner_) {
    if (line.rfind(prefix, 0) == 0) return std::stoi(line.substr(line.rfind(':') + 1));
  }
  return 0;
}

std::optional<int> broker_under_test::stop() {
  return process_->stop(SIGTERM, std::chrono::seconds(20));
}

}  // namespace emqx_cpp::testing
