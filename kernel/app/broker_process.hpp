// SPDX-License-Identifier: Apache-2.0
//
// The broker as a supervised process: the root supervisor starts it, and an orderly
// shutdown (SIGTERM) goes through the tree like any other child's.
#pragma once

#include "broker/broker.hpp"
#include "runtime/process.hpp"

namespace emqx_cpp::app {

class broker_process final : public runtime::process {
 public:
  explicit broker_process(broker::broker& b) : broker_(b) {}

  result<void> start() { return broker_.start(); }
  broker::broker& get() { return broker_; }

  void shutdown() override {
    broker_.stop();
    notify_exit(runtime::exit_reason::shutdown());
  }
  void kill() override { broker_.stop(); }

 private:
  broker::broker& broker_;
};

// The listeners as a supervised process, started last (after the plugins, so no client
// is served before its authenticator is there) and stopped first: its shutdown
// disconnects every client and saves the sessions while the session store's plugin is
// still loaded.
class listeners_process final : public runtime::process {
 public:
  explicit listeners_process(broker::broker& b) : broker_(b) {}

  result<void> start() { return broker_.open_listeners(); }

  void shutdown() override {
    broker_.close_and_save();
    notify_exit(runtime::exit_reason::shutdown());
  }
  void kill() override { broker_.close_and_save(); }

 private:
  broker::broker& broker_;
};

}  // namespace emqx_cpp::app
