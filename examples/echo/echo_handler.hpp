// SPDX-License-Identifier: Apache-2.0
//
// The echo service's handler: an actor on its own thread that answers each line. The
// line "crash" makes it throw, which is the point of the example: the supervisor
// replaces it while the listener, and so every client connection, stays up.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "runtime/actor.hpp"

namespace emqx_cpp::examples {

struct echo_request {
  std::uint64_t connection = 0;
  std::string line;
};

class echo_handler final : public runtime::actor<echo_request> {
 public:
  // `reply` is called on the handler's thread; it must hand the text to the listener's.
  using reply_function = std::function<void(std::uint64_t connection, std::string text)>;
  using stats_function = std::function<std::string()>;

  echo_handler(runtime::executor& exec, std::size_t mailbox_capacity,
               runtime::metrics_registry& metrics, reply_function reply, stats_function stats)
      : actor("echo_handler", exec, mailbox_capacity, &metrics),
        reply_(std::move(reply)),
        stats_(std::move(stats)) {}

 protected:
  void handle(echo_request& req) override {
    if (req.line == "crash") throw std::runtime_error("client asked the handler to crash");
    if (req.line == "stats") {
      reply_(req.connection, stats_());
      return;
    }
    reply_(req.connection, std::move(req.line));
  }

 private:
  reply_function reply_;
  stats_function stats_;
};

}  // namespace emqx_cpp::examples
