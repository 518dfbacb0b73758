// SPDX-License-Identifier: Apache-2.0
#include "net/tcp_connection.hpp"

#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace emqx_cpp::net {

namespace {
// Reads land in one buffer per I/O thread and are parsed there; a connection keeps
// bytes of its own only while a packet is incomplete. An idle connection so holds no
// input buffer at all, which is most of what a connection would otherwise cost.
constexpr std::size_t scratch_size = std::size_t{64} * 1024;
// Growth step of a connection's own buffer while it collects an incomplete packet.
constexpr std::size_t read_chunk = std::size_t{16} * 1024;
// Bytes read per readiness event before yielding to other connections on the worker.
constexpr std::size_t read_budget = std::size_t{256} * 1024;
// Output buffer memory a connection keeps between bursts.
constexpr std::size_t keep_capacity = std::size_t{64} * 1024;

std::uint8_t* thread_scratch() {
  thread_local std::vector<std::uint8_t> scratch(scratch_size);
  return scratch.data();
}

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}
}  // namespace

tcp_connection::tcp_connection(::event_base* base, int fd, handler* h, std::size_t high_watermark,
                               std::string_view initial_input)
    : fd_(fd), handler_(h), high_watermark_(high_watermark) {
  read_ev_ = event_new(base, fd_, EV_READ | EV_PERSIST, &tcp_connection::on_read_event, this);
  if (!initial_input.empty()) {
    in_.assign(initial_input.begin(), initial_input.end());
    in_end_ = in_.size();
  }
  in_base_ = in_.data();
}

tcp_connection::~tcp_connection() {
  close_now();
  event_free(read_ev_);
  if (write_ev_ != nullptr) event_free(write_ev_);
}

void tcp_connection::start() {
  resume_reading();
  if (in_end_ > in_start_) handler_->on_input(*this);
}

void tcp_connection::consume(std::size_t n) {
  in_start_ += n;
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
    if (in_base_ == in_.data() && !in_.empty()) {
      in_.clear();
      in_.shrink_to_fit();
      in_base_ = in_.data();
    }
  }
}

void tcp_connection::keep_unparsed() {
  if (in_base_ == in_.data()) return;  // already in our own buffer
  if (in_end_ > in_start_) {
    in_.assign(in_base_ + in_start_, in_base_ + in_end_);
  } else {
    in_.clear();
    in_.shrink_to_fit();
  }
  in_start_ = 0;
  in_end_ = in_.size();
  in_base_ = in_.data();
}

void tcp_connection::pause_reading() {
  if (!reading_ || fd_ < 0) return;
  event_del(read_ev_);
  reading_ = false;
}

void tcp_connection::resume_reading() {
  if (reading_ || fd_ < 0 || closing_) return;
  event_add(read_ev_, nullptr);
  reading_ = true;
}

void tcp_connection::on_read_event(int /*fd*/, short /*what*/, void* self) {
  static_cast<tcp_connection*>(self)->read_some();
}

void tcp_connection::on_write_event(int /*fd*/, short /*what*/, void* self) {
  static_cast<tcp_connection*>(self)->write_some();
}

void tcp_connection::read_some() {
  if (draining_) {
    drain_input();
    return;
  }
  std::size_t total = 0;
  while (fd_ >= 0 && reading_ && total < read_budget) {
    // With nothing buffered, read into the thread's scratch buffer; otherwise append to
    // the incomplete packet in our own.
    const bool buffered = in_end_ > in_start_;
    std::uint8_t* dst = nullptr;
    std::size_t room = 0;
    if (buffered) {
      if (in_start_ > 0) {
        std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
      }
      if (in_.size() - in_end_ < read_chunk) in_.resize(in_end_ + read_chunk);
      in_base_ = in_.data();
      dst = in_.data() + in_end_;
      room = in_.size() - in_end_;
    } else {
      dst = thread_scratch();
      room = scratch_size;
    }
    const ssize_t n = ::read(fd_, dst, room);
    if (n > 0) {
      if (buffered) {
        in_end_ += static_cast<std::size_t>(n);
      } else {
        in_base_ = dst;
        in_start_ = 0;
        in_end_ = static_cast<std::size_t>(n);
      }
      total += static_cast<std::size_t>(n);
      bytes_in_ += static_cast<std::uint64_t>(n);
      handler_->on_input(*this);
      keep_unparsed();
      if (static_cast<std::size_t>(n) < room) break;  // drained the socket
      continue;
    }
    if (n == 0) {
      if (fd_ >= 0) fail("closed by peer");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (fd_ >= 0) fail(errno_text(errno));
    return;
  }
}

void tcp_connection::flush() {
  if (fd_ < 0 || write_armed_ || pending_output() == 0) return;
  write_some();
}

void tcp_connection::write_some() {
  while (fd_ >= 0 && pending_output() > 0) {
    const ssize_t n = ::send(fd_, out_.data() + out_pos_, pending_output(), MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<std::size_t>(n);
      bytes_out_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_armed_) {
        // Created on the first full socket buffer: most connections never see one.
        if (write_ev_ == nullptr)
          write_ev_ = event_new(event_get_base(read_ev_), fd_, EV_WRITE | EV_PERSIST,
                                &tcp_connection::on_write_event, this);
        event_add(write_ev_, nullptr);
        write_armed_ = true;
      }
      return;
    }
    fail(n < 0 ? errno_text(errno) : "write returned zero");
    return;
  }
  if (fd_ < 0) return;
  out_.clear();
  out_pos_ = 0;
  if (out_.capacity() > keep_capacity) out_.shrink_to_fit();
  const bool was_armed = write_armed_;
  if (write_armed_) {
    if (write_ev_ != nullptr) event_del(write_ev_);
    write_armed_ = false;
  }
  if (closing_) {
    half_close();
    return;
  }
  if (was_armed) handler_->on_drained(*this);
}

void tcp_connection::close_after_flush() {
  if (fd_ < 0 || closing_) return;
  closing_ = true;
  pause_reading();
  if (pending_output() == 0) {
    half_close();
    return;
  }
  flush();
}

void tcp_connection::half_close() {
  // Closing a socket with unread input makes the kernel send RST, and the peer may
  // then lose what we wrote last (the DISCONNECT with its reason code). So: shut down
  // our side, read and discard until the peer closes too, then close. The owner bounds
  // how long this may take.
  ::shutdown(fd_, SHUT_WR);
  draining_ = true;
  event_add(read_ev_, nullptr);
  reading_ = true;
}

void tcp_connection::drain_input() {
  char sink[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, sink, sizeof(sink));
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_now();  // EOF or error: the peer is done
    return;
  }
}

void tcp_connection::close_now() {
  if (fd_ < 0) return;
  event_del(read_ev_);
  if (write_ev_ != nullptr) event_del(write_ev_);
  reading_ = write_armed_ = false;
  ::close(fd_);
  fd_ = -1;
}

int tcp_connection::release(std::string& unparsed_input) {
  event_del(read_ev_);
  if (write_ev_ != nullptr) event_del(write_ev_);
  reading_ = write_armed_ = false;
  unparsed_input.assign(reinterpret_cast<const char*>(in_base_) + in_start_, in_end_ - in_start_);
  in_start_ = in_end_ = 0;
  in_.clear();
  in_base_ = in_.data();
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void tcp_connection::fail(const std::string& why) {
  close_now();
  handler_->on_closed(*this, why);
}

}  // namespace emqx_cpp::net
