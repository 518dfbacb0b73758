// SPDX-License-Identifier: Apache-2.0
//
// A minimal blocking HTTP/1.1 client for the tests of the node's HTTP listener: one
// request per connection (Connection: close), status line, headers and body back. The
// test stack has no HTTP client library and these requests need nothing more.
#pragma once

#include <chrono>
#include <string>

namespace emqx_cpp::testing {

struct http_response {
  int status = 0;  // 0: no answer
  std::string content_type;
  std::string body;
};

http_response http_request(int port, const std::string& method, const std::string& target,
                           const std::string& body = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace emqx_cpp::testing
