// SPDX-License-Identifier: Apache-2.0
//
// The echo service's listener: accepts TCP connections on an event_loop, splits input
// into lines and passes each to whichever handler is current. It owns the connections,
// so a handler crash never closes one: lines that arrive while the handler is being
// restarted are answered with an error instead.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "echo_handler.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/process.hpp"

struct evconnlistener;
struct bufferevent;
struct sockaddr;

namespace emqx_cpp::examples {

class echo_listener final : public runtime::process,
                            public std::enable_shared_from_this<echo_listener> {
 public:
  // Returns the handler lines go to now; it may be dead or absent while restarting.
  using handler_source = std::function<std::shared_ptr<echo_handler>()>;

  echo_listener(runtime::event_loop& loop, handler_source handlers);
  ~echo_listener() override;

  // Binds and listens; returns the bound port (useful when asked for port 0).
  int listen(const std::string& host, int port);

  // Writes one reply line to a connection if it is still open. Call on the loop.
  void reply(std::uint64_t connection_id, const std::string& text);

  void shutdown() override;
  void kill() override;
  std::size_t connections() const { return connections_.size(); }

 private:
  static void on_accept(evconnlistener* l, int fd, ::sockaddr* addr, int len, void* self);
  static void on_read(bufferevent* bev, void* ctx);
  static void on_event(bufferevent* bev, short what, void* ctx);
  void close_all();

  struct connection {
    echo_listener* owner;
    std::uint64_t id;
    bufferevent* bev;
  };

  runtime::event_loop& loop_;
  handler_source handlers_;
  evconnlistener* listener_ = nullptr;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<connection>> connections_;
};

}  // namespace emqx_cpp::examples
