// SPDX-License-Identifier: Apache-2.0
//
// A bounded, thread-safe FIFO. Producers on any thread push; the owning executor pops.
// A full mailbox refuses the message (send_status::full) so the sender chooses between
// dropping and back-pressure; it never grows past its capacity.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace emqx_cpp::runtime {

enum class send_status { ok, full, closed };

template <class T>
class mailbox {
 public:
  explicit mailbox(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Appends `msg`. On ok, *was_empty tells whether the consumer may need a wake-up.
  send_status push(T&& msg, bool* was_empty = nullptr) {
    std::lock_guard lock(mutex_);
    if (closed_) return send_status::closed;
    if (queue_.size() >= capacity_) return send_status::full;
    if (was_empty != nullptr) *was_empty = queue_.empty();
    queue_.push_back(std::move(msg));
    return send_status::ok;
  }

  std::optional<T> pop() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    std::optional<T> out(std::move(queue_.front()));
    queue_.pop_front();
    return out;
  }

  // Selective receive: removes and returns the first message for which `pred` holds,
  // leaving the others queued in their order.
  template <class Pred>
  std::optional<T> take_first(Pred&& pred) {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (pred(static_cast<const T&>(*it))) {
        std::optional<T> out(std::move(*it));
        queue_.erase(it);
        return out;
      }
    }
    return std::nullopt;
  }

  // Refuses further pushes and drops what is queued.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queue_.clear();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  std::size_t capacity() const { return capacity_; }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<T> queue_;
  bool closed_ = false;
};

}  // namespace emqx_cpp::runtime
