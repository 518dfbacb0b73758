// SPDX-License-Identifier: Apache-2.0
//
// A blocking TCP client for line protocols in tests: connect, send a line, read a line
// with a timeout. Blocking is fine here; it is the test's own thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace emqx_cpp::testing {

class line_client {
 public:
  line_client(const std::string& host, int port);
  ~line_client();
  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  bool send_line(const std::string& line);
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // True while the server has not closed the connection (probes without consuming data).
  bool open();

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace emqx_cpp::testing
