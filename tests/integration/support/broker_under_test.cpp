// SPDX-License-Identifier: Apache-2.0
#include "support/broker_under_test.hpp"

#include <csignal>
#include <stdexcept>

namespace emqx_cpp::testing {

broker_under_test::broker_under_test(const std::string& name, std::vector<std::string> env)
    : log_path_(std::string(TEST_OUTPUT_DIR) + "/" + name + ".log") {
  env.insert(env.begin(), "EMQX_CPP_LISTENERS__TCP__DEFAULT__BIND=127.0.0.1:0");
  env.push_back("EMQX_CPP_LOG__LEVEL=debug");
  process_ = std::make_unique<child_process>(BROKER_BINARY, std::vector<std::string>{"start"},
                                             log_path_, env);
  auto line = process_->wait_for_line("listener tcp:default on", std::chrono::seconds(20));
  if (!line) throw std::runtime_error("broker did not start; log: " + read_file(log_path_));
  port_ = std::stoi(line->substr(line->rfind(':') + 1));
}

std::optional<int> broker_under_test::stop() {
  return process_->stop(SIGTERM, std::chrono::seconds(20));
}

}  // namespace emqx_cpp::testing
