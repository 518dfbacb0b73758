// SPDX-License-Identifier: Apache-2.0
#include "echo_listener.hpp"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "runtime/log.hpp"

namespace emqx_cpp::examples {

echo_listener::echo_listener(runtime::event_loop& loop, handler_source handlers)
    : loop_(loop), handlers_(std::move(handlers)) {}

echo_listener::~echo_listener() {
  close_all();
}

int echo_listener::listen(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    throw std::invalid_argument("not an IPv4 address: " + host);
  listener_ = evconnlistener_new_bind(loop_.base(), &echo_listener::on_accept, this,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                                      reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (listener_ == nullptr)
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             std::error_code(errno, std::generic_category()).message());
  sockaddr_in bound{};
  socklen_t len = sizeof(bound);
  getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &len);
  return ntohs(bound.sin_port);
}

void echo_listener::on_accept(evconnlistener* /*l*/, int fd, sockaddr* /*addr*/, int /*len*/,
                              void* self_ptr) {
  auto* self = static_cast<echo_listener*>(self_ptr);
  bufferevent* bev = bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    evutil_closesocket(fd);
    return;
  }
  auto conn = std::make_unique<connection>(connection{self, self->next_id_++, bev});
  bufferevent_setcb(bev, &echo_listener::on_read, nullptr, &echo_listener::on_event, conn.get());
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  self->connections_.emplace(conn->id, std::move(conn));
}

void echo_listener::on_read(bufferevent* bev, void* ctx) {
  auto* conn = static_cast<connection*>(ctx);
  evbuffer* in = bufferevent_get_input(bev);
  for (;;) {
    size_t n = 0;
    char* raw = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
    if (raw == nullptr) return;
    std::string line(raw, n);
    std::free(raw);
    auto handler = conn->owner->handlers_();
    if (!handler || !handler->alive()) {
      conn->owner->reply(conn->id, "error: handler restarting");
      continue;
    }
    switch (handler->send(echo_request{conn->id, std::move(line)})) {
      case runtime::send_status::ok:
        break;
      case runtime::send_status::full:
        conn->owner->reply(conn->id, "error: busy");
        break;
      case runtime::send_status::closed:
        conn->owner->reply(conn->id, "error: handler restarting");
        break;
    }
  }
}

void echo_listener::on_event(bufferevent* /*bev*/, short what, void* ctx) {
  if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0) return;
  auto* conn = static_cast<connection*>(ctx);
  echo_listener* owner = conn->owner;
  const std::uint64_t id = conn->id;
  bufferevent_free(conn->bev);
  owner->connections_.erase(id);
}

void echo_listener::reply(std::uint64_t connection_id, const std::string& text) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;  // the client left before its answer
  std::string line = text + "\n";
  bufferevent_write(it->second->bev, line.data(), line.size());
}

void echo_listener::close_all() {
  if (listener_ != nullptr) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
  }
  for (auto& [id, conn] : connections_)
    bufferevent_free(conn->bev);
  connections_.clear();
}

void echo_listener::shutdown() {
  close_all();
  notify_exit(runtime::exit_reason::shutdown());
}

void echo_listener::kill() {
  close_all();
}

}  // namespace emqx_cpp::examples
