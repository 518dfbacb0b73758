// SPDX-License-Identifier: Apache-2.0
#include "net/tcp_connection.hpp"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
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
// iovecs per sendmsg when shared pieces are written (well under IOV_MAX).
constexpr std::size_t max_iov = 64;

std::uint8_t* thread_scratch() {
  thread_local std::vector<std::uint8_t> scratch(scratch_size);
  return scratch.data();
}

}  // namespace

std::size_t tcp_connection::collect_size(std::size_t have) const {
  // Room for the rest of the packet being collected, so it arrives in as few reads as
  // the socket allows and is not moved while the buffer grows. Never more than a
  // scratch buffer ahead of what arrived: a client that only sends a fixed header
  // announcing a large packet does not make the broker allocate for it.
  if (expected_ > have) return std::min<std::size_t>(expected_, have + scratch_size);
  return have + read_chunk;
}

namespace {
std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}
}  // namespace

tcp_connection::tcp_connection(::event_base* base, int fd, handler* h, std::size_t high_watermark,
                               std::string_view initial_input)
    : fd_(fd),
      handler_(h),
      high_watermark_(static_cast<std::uint32_t>(
          std::min<std::size_t>(high_watermark, std::numeric_limits<std::uint32_t>::max()))) {
  static_assert(sizeof(::event) == event_storage_size && alignof(::event) <= 8,
                "tcp_connection's storage for its read event does not fit this libevent");
  // The library loaded at run time must agree (the same SONAME should guarantee it).
  static const bool same_event_size = event_get_struct_event_size() == sizeof(::event);
  if (!same_event_size)
    throw std::runtime_error("libevent's struct event differs from the one built against");
  event_assign(read_ev(), base, fd_, EV_READ | EV_PERSIST, &tcp_connection::on_read_event, this);
  if (!initial_input.empty()) {
    in_.assign(initial_input.begin(), initial_input.end());
    in_end_ = static_cast<std::uint32_t>(in_.size());
  }
  in_base_ = in_.data();
}

tcp_connection::~tcp_connection() {
  close_now();
  event_del(read_ev());  // an assigned event is only deleted, never freed
  if (write_ev_ != nullptr) event_free(write_ev_);
}

void tcp_connection::start() {
  resume_reading();
  if (in_end_ > in_start_) handler_->on_input(*this);
}

void tcp_connection::consume(std::size_t n) {
  in_start_ += static_cast<std::uint32_t>(n);
  expected_ = 0;
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
    in_.reserve(collect_size(in_end_ - in_start_));
    in_.assign(in_base_ + in_start_, in_base_ + in_end_);
  } else {
    in_.clear();
    in_.shrink_to_fit();
  }
  in_start_ = 0;
  in_end_ = static_cast<std::uint32_t>(in_.size());
  in_base_ = in_.data();
}

void tcp_connection::pause_reading() {
  if (!reading_ || fd_ < 0) return;
  event_del(read_ev());
  reading_ = false;
}

void tcp_connection::resume_reading() {
  if (reading_ || fd_ < 0 || closing_) return;
  event_add(read_ev(), nullptr);
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
      const std::size_t want = collect_size(in_end_);
      if (in_.size() < want) in_.resize(want);
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
        in_end_ += static_cast<std::uint32_t>(n);
      } else {
        in_base_ = dst;
        in_start_ = 0;
        in_end_ = static_cast<std::uint32_t>(n);
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

void tcp_connection::append_shared(std::shared_ptr<const void> owner, std::string_view data) {
  if (data.empty()) return;
  if (!shared_) shared_ = std::make_unique<shared_output>();
  shared_->pieces.push_back({out_.size(), data, std::move(owner)});
  shared_->unsent += data.size();
}

long tcp_connection::send_gathered() {
  std::array<iovec, max_iov> iov{};
  std::size_t count = 0;
  std::size_t pos = out_pos_;
  const auto& pieces = shared_->pieces;
  std::size_t i = shared_->head;
  // Each piece takes up to two iovecs (the bytes of out_ before it, then itself); one
  // stays free for the tail of out_.
  for (; i < pieces.size() && count + 3 <= max_iov; ++i) {
    const auto& p = pieces[i];
    if (p.at > pos) {
      iov[count++] = {out_.data() + pos, p.at - pos};
      pos = p.at;
    }
    const std::size_t skip = i == shared_->head ? shared_->sent : 0;
    // iovec's base is not const; sendmsg only reads it.
    iov[count++] = {const_cast<char*>(p.data.data()) + skip, p.data.size() - skip};
  }
  if (i == pieces.size() && out_.size() > pos)
    iov[count++] = {out_.data() + pos, out_.size() - pos};
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  return ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
}

void tcp_connection::advance_gathered(std::size_t n) {
  auto& s = *shared_;
  while (n > 0 && s.head < s.pieces.size()) {
    auto& p = s.pieces[s.head];
    const std::size_t gap = p.at - out_pos_;
    if (n < gap) {
      out_pos_ += n;
      return;
    }
    out_pos_ = p.at;
    n -= gap;
    const std::size_t left = p.data.size() - s.sent;
    if (n < left) {
      s.sent += n;
      s.unsent -= n;
      return;
    }
    n -= left;
    s.unsent -= left;
    s.sent = 0;
    p.owner.reset();  // the message may go now
    ++s.head;
  }
  out_pos_ += n;
  if (s.head == s.pieces.size()) shared_.reset();
}

void tcp_connection::write_some() {
  while (fd_ >= 0 && pending_output() > 0) {
    const ssize_t n = shared_ ? send_gathered()
                              : ::send(fd_, out_.data() + out_pos_, pending_output(), MSG_NOSIGNAL);
    if (n > 0) {
      if (shared_) {
        advance_gathered(static_cast<std::size_t>(n));
      } else {
        out_pos_ += static_cast<std::size_t>(n);
      }
      bytes_out_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!write_armed_) {
        // Created on the first full socket buffer: most connections never see one.
        if (write_ev_ == nullptr)
          write_ev_ = event_new(event_get_base(read_ev()), fd_, EV_WRITE | EV_PERSIST,
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
  event_add(read_ev(), nullptr);
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
  event_del(read_ev());
  if (write_ev_ != nullptr) event_del(write_ev_);
  reading_ = write_armed_ = false;
  ::close(fd_);
  fd_ = -1;
  shared_.reset();
}

int tcp_connection::release(std::string& unparsed_input) {
  event_del(read_ev());
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
