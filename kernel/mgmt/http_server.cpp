// SPDX-License-Identifier: Apache-2.0
#include "mgmt/http_server.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

namespace emqx_cpp::mgmt {

namespace {
const char* method_name(evhttp_cmd_type c) {
  switch (c) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    default:
      return "";
  }
}

void send(evhttp_request* req, const mgmt_answer& a) {
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, a.body.data(), a.body.size());
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", a.content_type.c_str());
  evhttp_send_reply(req, a.status, nullptr, body);
  evbuffer_free(body);
}
}  // namespace

http_server::http_server(runtime::event_loop& loop, mgmt_registry& registry, std::string node_name)
    : loop_(loop), registry_(registry), node_name_(std::move(node_name)) {}

http_server::~http_server() {
  close();
}

result<std::uint16_t> http_server::listen(const std::string& host, std::uint16_t port) {
  http_ = evhttp_new(loop_.base());
  if (http_ == nullptr) return make_error("evhttp_new failed");
  evhttp_set_gencb(http_, &http_server::on_request, this);
  evhttp_set_allowed_methods(http_,
                             EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
  auto* bound = evhttp_bind_socket_with_handle(http_, host.c_str(), port);
  if (bound == nullptr) {
    close();
    return make_error("dashboard.listeners.http: cannot listen on " + host + ":" +
                      std::to_string(port));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&addr), &len);
  const std::uint16_t actual = addr.ss_family == AF_INET6
                                   ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                   : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return actual;
}

void http_server::close() {
  for (auto& [conn, alive] : waiting_)
    *alive = false;
  waiting_.clear();
  if (http_ != nullptr) {
    evhttp_free(http_);
    http_ = nullptr;
  }
}

void http_server::shutdown() {
  close();
  notify_exit(runtime::exit_reason::shutdown());
}

void http_server::kill() {
  close();
}

void http_server::on_request(evhttp_request* req, void* self) {
  static_cast<http_server*>(self)->handle(req);
}

void http_server::on_connection_closed(evhttp_connection* conn, void* self) {
  auto* server = static_cast<http_server*>(self);
  if (auto it = server->waiting_.find(conn); it != server->waiting_.end()) {
    *it->second = false;
    server->waiting_.erase(it);
  }
}

void http_server::handle(evhttp_request* req) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const char* raw_query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
  const std::string path = raw_path != nullptr && *raw_path != 0 ? raw_path : "/";
  const std::string query = raw_query != nullptr ? raw_query : "";
  const std::string method = method_name(evhttp_request_get_command(req));
  if (method == "GET" && (path == "/status" || path == "/api/v5/status")) {
    // EMQX's health check answer.
    send(req, {200, "text/plain", "Node " + node_name_ + " is started\nemqx is running"});
    return;
  }
  std::string body;
  evbuffer* in = evhttp_request_get_input_buffer(req);
  body.resize(evbuffer_get_length(in));
  evbuffer_copyout(in, body.data(), body.size());

  auto alive = std::make_shared<bool>(true);
  evhttp_connection* conn = evhttp_request_get_connection(req);
  waiting_[conn] = alive;
  evhttp_connection_set_closecb(conn, &http_server::on_connection_closed, this);
  const bool routed = registry_.dispatch_http(
      method, path, query, body, [this, req, conn, alive](const mgmt_answer& a) {
        if (!*alive) return;  // the client went away
        waiting_.erase(conn);
        evhttp_connection_set_closecb(conn, nullptr, nullptr);
        send(req, a);
      });
  if (!routed) {
    waiting_.erase(conn);
    evhttp_connection_set_closecb(conn, nullptr, nullptr);
    send(req, {404, "application/json",
               nlohmann::json{{"code", "NOT_FOUND"}, {"message", method + " " + path}}.dump()});
  }
}

}  // namespace emqx_cpp::mgmt
