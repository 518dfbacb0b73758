// SPDX-License-Identifier: Apache-2.0
//
// The local control channel `emqx-cpp ctl` talks to: a Unix socket (mode 0600, in
// node.data_dir) on the control thread. One request line per connection, a text answer,
// then close; an answer starting with "error:" is a failure. The REST API will offer
// the same operations over HTTP.
#pragma once

#include <functional>
#include <string>

#include "runtime/event_loop.hpp"
#include "runtime/process.hpp"
#include "runtime/result.hpp"

struct evconnlistener;
struct bufferevent;
struct sockaddr;

namespace emqx_cpp::mgmt {

class ctl_server final : public runtime::process {
 public:
  // Answers a request; `reply` may be called later (on the control thread).
  using handler = std::function<void(const std::string& request,
                                     std::function<void(const std::string&)> reply)>;

  ctl_server(runtime::event_loop& loop, std::string socket_path, handler h);
  ~ctl_server() override;

  result<void> listen();
  void shutdown() override;
  void kill() override;
  const std::string& socket_path() const { return path_; }

 private:
  static void on_accept(evconnlistener* l, int fd, ::sockaddr* addr, int len, void* self);
  static void on_read(bufferevent* bev, void* ctx);
  static void on_event(bufferevent* bev, short what, void* ctx);
  void close();

  runtime::event_loop& loop_;
  std::string path_;
  handler handler_;
  evconnlistener* listener_ = nullptr;
};

// Sends one request to the socket and returns the answer (client side of ctl).
result<std::string> ctl_request(const std::string& socket_path, const std::string& request);

}  // namespace emqx_cpp::mgmt
