// SPDX-License-Identifier: Apache-2.0
#include "app/broker_process.hpp"

namespace emqx_cpp::app {

broker_process::broker_process(config::broker_config cfg)
    : broker_(std::make_unique<broker::broker>(std::move(cfg))) {}

broker_process::~broker_process() = default;

result<void> broker_process::start() {
  return broker_->start();
}

void broker_process::shutdown() {
  broker_->stop();
  notify_exit(runtime::exit_reason::shutdown());
}

void broker_process::kill() {
  broker_->stop();
}

}  // namespace emqx_cpp::app
