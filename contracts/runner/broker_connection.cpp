// SPDX-License-Identifier: Apache-2.0
#include "broker_connection.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "mqtt/codec.hpp"

namespace emqx_contracts {

namespace {

std::int64_t ms_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : left.count();
}

}  // namespace

broker_connection::~broker_connection() {
  close();
}

std::string broker_connection::open(const std::string& host, std::uint16_t port) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    return "cannot resolve " + host + ": " + gai_strerror(rc);
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = fd;
      break;
    }
    why = "connect: " + std::generic_category().message(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  if (fd_ < 0) return why;
  peer_closed_ = false;
  buffer_.clear();
  return {};
}

std::string broker_connection::send(const std::string& bytes) {
  if (fd_ < 0) return "not connected";
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return "send: " + std::generic_category().message(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

void broker_connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<std::string> broker_connection::take_frame(std::string& error) {
  namespace mqtt = emqx_cpp::mqtt;
  mqtt::fixed_header h;
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer_.data());
  switch (mqtt::read_frame({data, buffer_.size()}, 268'435'455, h)) {
    case mqtt::frame_status::complete: {
      std::string frame = buffer_.substr(0, h.frame_size());
      buffer_.erase(0, h.frame_size());
      return frame;
    }
    case mqtt::frame_status::incomplete:
      return std::nullopt;
    case mqtt::frame_status::malformed:
    case mqtt::frame_status::too_large:
      error = "the broker sent a frame with a malformed fixed header";
      return std::nullopt;
  }
  return std::nullopt;
}

broker_connection::received broker_connection::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string error;
    if (auto frame = take_frame(error)) return {outcome::frame, std::move(*frame), {}};
    if (!error.empty()) return {outcome::error, {}, error};
    if (peer_closed_ || fd_ < 0) {
      if (!buffer_.empty()) return {outcome::error, {}, "the connection closed inside a frame"};
      return {outcome::closed, {}, {}};
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(ms_until(deadline)));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return {outcome::timeout, {}, {}};
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      peer_closed_ = true;
    } else if (errno != EINTR && errno != EAGAIN) {
      return {outcome::error, {}, "recv: " + std::generic_category().message(errno)};
    }
  }
}

}  // namespace emqx_contracts
