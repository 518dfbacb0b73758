// SPDX-License-Identifier: Apache-2.0
#include "net/tcp_listener.hpp"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace emqx_cpp::net {

namespace {
std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}
}  // namespace

std::string format_peer(const void* ptr) {
  const auto* ss = static_cast<const sockaddr_storage*>(ptr);
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss->ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (ss->ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  return "unknown";
}

tcp_listener::tcp_listener(::event_base* base, accept_callback on_accept)
    : base_(base), on_accept_(std::move(on_accept)) {}

tcp_listener::~tcp_listener() {
  close();
}

result<std::uint16_t> tcp_listener::open(const std::string& host, std::uint16_t port, int backlog,
                                         bool nodelay) {
  nodelay_ = nodelay;
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1)
      return make_error("not an IPv6 address: " + host);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1)
      return make_error("not an IPv4 address: " + host);
    len = sizeof(sockaddr_in);
  }
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return make_error("socket: " + errno_text(errno));
  const int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, backlog) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    return make_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                      errno_text(err));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  ev_ = event_new(base_, fd_, EV_READ | EV_PERSIST, &tcp_listener::on_readable, this);
  event_add(ev_, nullptr);
  return port_;
}

void tcp_listener::on_readable(int /*fd*/, short /*what*/, void* self) {
  static_cast<tcp_listener*>(self)->accept_all();
}

void tcp_listener::accept_all() {
  // Bounded so a connection storm cannot starve the worker's established clients.
  for (int i = 0; i < 256 && fd_ >= 0; ++i) {
    if (gate_) {
      const auto wait = gate_();
      if (wait.count() > 0) {
        event_del(ev_);
        if (gate_ev_ == nullptr) gate_ev_ = evtimer_new(base_, &tcp_listener::on_gate_open, this);
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count() + 1;
        const timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
        evtimer_add(gate_ev_, &tv);
        return;
      }
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error (EMFILE): the next event retries
    if (nodelay_) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    on_accept_(accepted_socket{fd, format_peer(&peer), port_});
  }
}

void tcp_listener::on_gate_open(int /*fd*/, short /*what*/, void* self) {
  auto* l = static_cast<tcp_listener*>(self);
  if (l->ev_ == nullptr || l->fd_ < 0) return;
  event_add(l->ev_, nullptr);
  l->accept_all();
}

void tcp_listener::pause() {
  if (ev_ != nullptr) event_del(ev_);
  if (gate_ev_ != nullptr) event_del(gate_ev_);
}

void tcp_listener::close() {
  if (gate_ev_ != nullptr) {
    event_free(gate_ev_);
    gate_ev_ = nullptr;
  }
  if (ev_ != nullptr) {
    event_free(ev_);
    ev_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace emqx_cpp::net
