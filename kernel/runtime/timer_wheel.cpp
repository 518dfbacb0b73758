// SPDX-License-Identifier: Apache-2.0
#include "runtime/timer_wheel.hpp"

#include <algorithm>

namespace emqx_cpp::runtime {

void wheel_hook::disarm() {
  if (wheel_ != nullptr) wheel_->unlink(*this);
}

timer_wheel::timer_wheel(std::chrono::milliseconds tick, std::size_t slots, clock::time_point start)
    : tick_(tick), start_(start), slots_(slots, nullptr) {}

timer_wheel::~timer_wheel() {
  for (wheel_hook* head : slots_) {
    while (head != nullptr) {
      wheel_hook* next = head->next_;
      head->wheel_ = nullptr;
      head->prev_ = head->next_ = nullptr;
      head = next;
    }
  }
}

std::int64_t timer_wheel::tick_of(clock::time_point t) const {
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(t - start_);
  // Round up: a deadline never fires early.
  return (since.count() + tick_.count() - 1) / tick_.count();
}

void timer_wheel::arm(wheel_hook& h, clock::time_point due) {
  if (h.wheel_ != nullptr) unlink(h);
  // A deadline already past fires on the next advance().
  h.due_tick_ = std::max(tick_of(due), current_);
  wheel_hook*& head = slots_[static_cast<std::size_t>(h.due_tick_) % slots_.size()];
  h.wheel_ = this;
  h.prev_ = nullptr;
  h.next_ = head;
  if (head != nullptr) head->prev_ = &h;
  head = &h;
  ++armed_;
}

void timer_wheel::unlink(wheel_hook& h) {
  if (h.prev_ != nullptr) {
    h.prev_->next_ = h.next_;
  } else {
    slots_[static_cast<std::size_t>(h.due_tick_) % slots_.size()] = h.next_;
  }
  if (h.next_ != nullptr) h.next_->prev_ = h.prev_;
  h.wheel_ = nullptr;
  h.prev_ = h.next_ = nullptr;
  --armed_;
}

void timer_wheel::advance(clock::time_point now, const std::function<void(wheel_hook&)>& fire) {
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
  const std::int64_t last = since.count() / tick_.count();
  // After a long stall one pass over the wheel finds everything due; entries of
  // skipped ticks are then older than the tick that finds them.
  const auto slots = static_cast<std::int64_t>(slots_.size());
  if (last - current_ >= slots) current_ = last - slots + 1;
  while (current_ <= last) {
    // Step past this tick before firing, so a hook armed again from its callback
    // lands in a later tick and this loop ends.
    const std::int64_t tick = current_++;
    wheel_hook*& head = slots_[static_cast<std::size_t>(tick) % slots_.size()];
    wheel_hook* h = head;
    while (h != nullptr) {
      if (h->due_tick_ > tick) {  // a later round of the wheel
        h = h->next_;
        continue;
      }
      unlink(*h);
      fire(*h);
      h = head;  // the callback may have changed this slot's list
    }
  }
}

}  // namespace emqx_cpp::runtime
