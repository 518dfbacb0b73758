// SPDX-License-Identifier: Apache-2.0
//
// A listening TCP socket on one I/O worker. Each worker opens its own socket on the
// same address with SO_REUSEPORT, so the kernel spreads new connections across
// workers with no hand-off between threads. Binding port 0 picks a free port on the
// first socket; the others then bind that port.
#pragma once

#include <chrono>

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/result.hpp"

struct event_base;
struct event;

namespace emqx_cpp::net {

struct accepted_socket {
  int fd = -1;
  std::string peer;  // "ip:port" or "[ip6]:port"
  std::uint16_t local_port = 0;
};

class tcp_listener {
 public:
  using accept_callback = std::function<void(accepted_socket)>;

  tcp_listener(::event_base* base, accept_callback on_accept);
  ~tcp_listener();
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  // Binds and listens. Returns the bound port.
  result<std::uint16_t> open(const std::string& host, std::uint16_t port, int backlog,
                             bool nodelay);
  void close();
  // Stops accepting without closing (used at shutdown so queued clients are refused).
  void pause();
  // Asked before each accept: a wait means not yet (a connection rate limit); the
  // socket is left alone that long and the clients wait in the listen backlog.
  void set_gate(std::function<std::chrono::nanoseconds()> gate) { gate_ = std::move(gate); }

 private:
  static void on_readable(int fd, short what, void* self);
  static void on_gate_open(int fd, short what, void* self);
  std::function<std::chrono::nanoseconds()> gate_;
  ::event* gate_ev_ = nullptr;
  void accept_all();

  ::event_base* base_;
  accept_callback on_accept_;
  int fd_ = -1;
  ::event* ev_ = nullptr;
  bool nodelay_ = true;
  std::uint16_t port_ = 0;
};

// "ip:port" for an IPv4 or IPv6 peer address.
std::string format_peer(const void* sockaddr_storage_ptr);

}  // namespace emqx_cpp::net
