// SPDX-License-Identifier: Apache-2.0
//
// One client connection of a case: a blocking TCP socket with deadlines, sending bytes
// and handing back whole frames as the broker sent them. Blocking I/O with poll() is
// enough here: a case drives a handful of connections one step at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "mqtt/types.hpp"

namespace emqx_contracts {

class broker_connection {
 public:
  broker_connection() = default;
  ~broker_connection();
  broker_connection(const broker_connection&) = delete;
  broker_connection& operator=(const broker_connection&) = delete;

  // Empty on success, else why not.
  std::string open(const std::string& host, std::uint16_t port);
  // Empty on success, else why not (the broker may have closed already).
  std::string send(const std::string& bytes);
  void close();

  enum class outcome { frame, closed, timeout, error };
  struct received {
    outcome what = outcome::timeout;
    std::string frame;   // the whole frame, fixed header included
    std::string detail;  // for error
  };
  // The next frame, or the close, within `timeout`.
  received next(std::chrono::milliseconds timeout);

  bool is_open() const { return fd_ >= 0; }
  emqx_cpp::mqtt::protocol_version version = emqx_cpp::mqtt::protocol_version::v5;
  std::string client_id;

 private:
  // A whole frame at the start of buffer_, if there is one.
  std::optional<std::string> take_frame(std::string& error);

  int fd_ = -1;
  bool peer_closed_ = false;
  std::string buffer_;
};

}  // namespace emqx_contracts
