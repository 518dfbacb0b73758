// SPDX-License-Identifier: Apache-2.0
#include "broker/lazy_deque.hpp"

#include <doctest/doctest.h>
#include <malloc.h>

#include <string>

using emqx_cpp::broker::lazy_deque;

TEST_CASE("lazy_deque: an empty one allocates nothing and iterates over nothing") {
  const std::size_t before = mallinfo2().uordblks;
  auto* q = new lazy_deque<std::string>();  // NOLINT: heap use is what is measured
  const std::size_t after = mallinfo2().uordblks;
  CHECK(after - before <= sizeof(lazy_deque<std::string>) + 16);
  CHECK(q->empty());
  CHECK(q->size() == 0);
  CHECK(q->begin() == q->end());
  delete q;  // NOLINT
}

TEST_CASE("lazy_deque: behaves as a deque once used and gives memory back on clear") {
  lazy_deque<std::string> q;
  q.push_back("a");
  q.push_back("b");
  q.push_back("c");
  CHECK(q.size() == 3);
  CHECK(q.front() == "a");
  auto it = q.begin();
  ++it;
  it = q.erase(it);
  CHECK(*it == "c");
  q.pop_front();
  CHECK(q.front() == "c");
  CHECK(q.size() == 1);
  q.clear();
  CHECK(q.empty());
  CHECK(q.begin() == q.end());
  q.push_back("again");
  CHECK(q.front() == "again");
}
