// SPDX-License-Identifier: Apache-2.0
//
// A growable byte queue for socket input and output: append at the tail, consume from
// the head, compact when the head has moved. Unlike std::vector<uint8_t> it does not
// zero the bytes it grows into, which matters when every message is copied into it,
// and it starts small so twenty thousand idle connections cost little memory.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

namespace emqx_bench {

class byte_buffer {
 public:
  const std::uint8_t* data() const { return buf_.get() + head_; }
  std::uint8_t* data() { return buf_.get() + head_; }
  std::size_t size() const { return tail_ - head_; }
  bool empty() const { return tail_ == head_; }
  std::size_t capacity() const { return cap_; }

  // Room for at least n more bytes at the tail; returns where they go.
  std::uint8_t* prepare(std::size_t n) {
    if (cap_ - tail_ < n) make_room(n);
    return buf_.get() + tail_;
  }
  void commit(std::size_t n) { tail_ += n; }
  // Free bytes at the tail without moving anything.
  std::size_t tail_room() const { return cap_ - tail_; }

  void append(const void* p, std::size_t n) {
    std::memcpy(prepare(n), p, n);
    tail_ += n;
  }

  void consume(std::size_t n) {
    head_ += n;
    if (head_ == tail_) head_ = tail_ = 0;
  }

  // Moves the unread bytes to the front, so the tail has the whole spare capacity.
  void compact() {
    if (head_ == 0) return;
    const std::size_t n = size();
    if (n) std::memmove(buf_.get(), buf_.get() + head_, n);
    head_ = 0;
    tail_ = n;
  }

  // Grows the capacity to at least n bytes (keeps the contents).
  void grow_to(std::size_t n) {
    if (n <= cap_) return;
    std::size_t c = cap_ ? cap_ : 256;
    while (c < n)
      c *= 2;
    auto fresh = std::make_unique_for_overwrite<std::uint8_t[]>(c);
    const std::size_t len = size();
    if (len) std::memcpy(fresh.get(), buf_.get() + head_, len);
    buf_ = std::move(fresh);
    cap_ = c;
    head_ = 0;
    tail_ = len;
  }

  void release() {
    buf_.reset();
    cap_ = head_ = tail_ = 0;
  }

 private:
  void make_room(std::size_t n) {
    // Compacting is enough when the consumed space at the head makes the room.
    if (cap_ - size() >= n) {
      compact();
      return;
    }
    grow_to(size() + n);
  }

  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace emqx_bench
