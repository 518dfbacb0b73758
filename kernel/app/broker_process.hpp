// SPDX-License-Identifier: Apache-2.0
//
// The broker as a supervised process: the root supervisor starts it, and an orderly
// shutdown (SIGTERM) goes through the tree like any other child's.
#pragma once

#include <memory>

#include "broker/broker.hpp"
#include "runtime/process.hpp"

namespace emqx_cpp::app {

class broker_process final : public runtime::process {
 public:
  explicit broker_process(config::broker_config cfg);
  ~broker_process() override;

  result<void> start();
  broker::broker& get() { return *broker_; }

  void shutdown() override;
  void kill() override;

 private:
  std::unique_ptr<broker::broker> broker_;
};

}  // namespace emqx_cpp::app
