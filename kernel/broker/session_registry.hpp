// SPDX-License-Identifier: Apache-2.0
//
// Where a client's session lives: on which node, and on which I/O worker of it. A node
// alone answers with itself and the worker its client id hashes to, so a session and
// every connection that uses it meet on one thread. The question is asked in one place
// so that a cluster-wide registry (a later provider) can answer with another node and
// takeover can cross nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace emqx_cpp::broker {

struct session_location {
  std::uint16_t node = 0;  // index in the broker's node table; 0 is this node
  std::uint16_t worker = 0;
};

class session_registry {
 public:
  explicit session_registry(std::size_t workers) : workers_(workers == 0 ? 1 : workers) {}

  session_location locate(std::string_view client_id) const { return {0, worker_of(client_id)}; }
  // The worker of this node that owns `client_id`.
  std::uint16_t worker_of(std::string_view client_id) const {
    return static_cast<std::uint16_t>(std::hash<std::string_view>{}(client_id) % workers_);
  }

 private:
  std::size_t workers_;
};

}  // namespace emqx_cpp::broker
