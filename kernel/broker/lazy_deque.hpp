// SPDX-License-Identifier: Apache-2.0
//
// A std::deque that allocates nothing until the first element arrives.
//
// libstdc++'s deque allocates its map and a 512-byte node even when empty, and a
// session holds two of them (inflight and queued messages): over a kilobyte for every
// idle connection, more than all the rest of its state. This wrapper keeps the deque
// behind a pointer that stays null until something is pushed; it offers only what the
// session uses.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

namespace emqx_cpp::broker {

template <class T>
class lazy_deque {
 public:
  using iterator = typename std::deque<T>::iterator;

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }
  T& front() { return items_->front(); }
  void push_back(T&& v) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    items_->push_back(std::move(v));
  }
  void pop_front() { items_->pop_front(); }
  T& back() { return items_->back(); }
  iterator insert(iterator at, T&& v) {
    if (!items_) items_ = std::make_unique<std::deque<T>>();
    return items_->insert(at, std::move(v));
  }
  iterator begin() { return items_ ? items_->begin() : none().begin(); }
  iterator end() { return items_ ? items_->end() : none().end(); }
  iterator erase(iterator it) { return items_->erase(it); }
  iterator erase(iterator first, iterator last) { return items_->erase(first, last); }
  // Gives the memory back, not only the elements.
  void clear() { items_.reset(); }

 private:
  // What begin() and end() point into while nothing was ever pushed; never modified.
  static std::deque<T>& none() {
    static std::deque<T> empty;
    return empty;
  }
  std::unique_ptr<std::deque<T>> items_;
};

}  // namespace emqx_cpp::broker
