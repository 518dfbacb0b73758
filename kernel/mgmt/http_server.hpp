// SPDX-License-Identifier: Apache-2.0
//
// The node's HTTP listener (dashboard.listeners.http, EMQX's port 18083): GET /status
// for health checks, and the /api/v5 routes plugins register through the management
// seam. It runs on the control thread, never on an I/O worker; libevent's evhttp does
// the HTTP. A route answered later keeps its request until the answer or a client
// that went away.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "mgmt/mgmt_registry.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/process.hpp"
#include "runtime/result.hpp"

struct evhttp;
struct evhttp_request;
struct evhttp_connection;

namespace emqx_cpp::mgmt {

class http_server final : public runtime::process {
 public:
  http_server(runtime::event_loop& loop, mgmt_registry& registry, std::string node_name);
  ~http_server() override;

  // Binds host:port (port 0 picks a free one); returns the port.
  result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void shutdown() override;
  void kill() override;

 private:
  static void on_request(evhttp_request* req, void* self);
  static void on_connection_closed(evhttp_connection* conn, void* self);
  void handle(evhttp_request* req);
  void close();

  runtime::event_loop& loop_;
  mgmt_registry& registry_;
  std::string node_name_;
  evhttp* http_ = nullptr;
  // Connections with a request waiting for its answer; the flag turns false when the
  // client goes away (libevent frees the request then).
  std::map<evhttp_connection*, std::shared_ptr<bool>> waiting_;
};

}  // namespace emqx_cpp::mgmt
