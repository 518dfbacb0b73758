// SPDX-License-Identifier: Apache-2.0
#include "mgmt/ctl_server.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

namespace emqx_cpp::mgmt {

namespace {
std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

// A connection in flight; freed when its answer is written or the client goes away.
struct ctl_connection {
  ctl_server::handler* handler;
  bufferevent* bev;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

void finish(ctl_connection* c) {
  *c->alive = false;
  bufferevent_free(c->bev);
  delete c;
}

void on_written(bufferevent* bev, void* ctx) {
  if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
    finish(static_cast<ctl_connection*>(ctx));
}
}  // namespace

ctl_server::ctl_server(runtime::event_loop& loop, std::string socket_path, handler h)
    : loop_(loop), path_(std::move(socket_path)), handler_(std::move(h)) {}

ctl_server::~ctl_server() {
  close();
}

result<void> ctl_server::listen() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path))
    return make_error("ctl socket path too long: " + path_);
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message());
  ::unlink(path_.c_str());  // a socket left behind by a node that died
  // Only the owner may control the node: the socket is created with mode 0600.
  const mode_t old = ::umask(0177);
  listener_ =
      evconnlistener_new_bind(loop_.base(), &ctl_server::on_accept, this, LEV_OPT_CLOSE_ON_FREE, 16,
                              reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (listener_ == nullptr) return make_error("cannot listen on " + path_ + ": " + errno_text());
  return {};
}

void ctl_server::on_accept(evconnlistener* /*l*/, int fd, sockaddr* /*addr*/, int /*len*/,
                           void* self_ptr) {
  auto* self = static_cast<ctl_server*>(self_ptr);
  bufferevent* bev = bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  auto* c = new ctl_connection{&self->handler_, bev};
  bufferevent_setcb(bev, &ctl_server::on_read, nullptr, &ctl_server::on_event, c);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void ctl_server::on_read(bufferevent* bev, void* ctx) {
  auto* c = static_cast<ctl_connection*>(ctx);
  std::size_t n = 0;
  char* line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_CRLF);
  if (line == nullptr) return;
  std::string request(line, n);
  std::free(line);
  bufferevent_disable(bev, EV_READ);
  std::weak_ptr<bool> alive = c->alive;
  (*c->handler)(request, [c, alive](const std::string& answer) {
    if (alive.expired()) return;  // the client left before the answer
    std::string text = answer;
    if (text.empty() || text.back() != '\n') text += '\n';
    bufferevent_write(c->bev, text.data(), text.size());
    bufferevent_setcb(c->bev, nullptr, on_written, &ctl_server::on_event, c);
  });
}

void ctl_server::on_event(bufferevent* /*bev*/, short what, void* ctx) {
  if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) finish(static_cast<ctl_connection*>(ctx));
}

void ctl_server::close() {
  if (listener_ != nullptr) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
    ::unlink(path_.c_str());
  }
}

void ctl_server::shutdown() {
  close();
  notify_exit(runtime::exit_reason::shutdown());
}

void ctl_server::kill() {
  close();
}

result<std::string> ctl_request(const std::string& socket_path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket: " + errno_text());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    return make_error("cannot reach the node at " + socket_path + ": " + why +
                      " (is it running? see node.data_dir)");
  }
  const std::string line = request + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return make_error("cannot send the request: " + errno_text());
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  return answer;
}

}  // namespace emqx_cpp::mgmt
