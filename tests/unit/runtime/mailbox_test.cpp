// SPDX-License-Identifier: Apache-2.0
#include "runtime/mailbox.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace emqx_cpp::runtime;

TEST_CASE("a mailbox keeps FIFO order and refuses messages past its capacity") {
  mailbox<int> mb(3);
  bool was_empty = false;
  CHECK(mb.push(1, &was_empty) == send_status::ok);
  CHECK(was_empty);
  CHECK(mb.push(2, &was_empty) == send_status::ok);
  CHECK_FALSE(was_empty);
  CHECK(mb.push(3) == send_status::ok);
  CHECK(mb.push(4) == send_status::full);
  CHECK(mb.size() == 3);
  CHECK(mb.pop() == 1);
  CHECK(mb.push(4) == send_status::ok);
  CHECK(mb.pop() == 2);
  CHECK(mb.pop() == 3);
  CHECK(mb.pop() == 4);
  CHECK_FALSE(mb.pop().has_value());
}

TEST_CASE("take_first removes the first match and leaves the rest in order") {
  mailbox<std::string> mb(10);
  for (const char* s : {"a1", "b1", "a2", "b2"})
    REQUIRE(mb.push(s) == send_status::ok);
  auto b = mb.take_first([](const std::string& m) { return m[0] == 'b'; });
  REQUIRE(b);
  CHECK(*b == "b1");
  CHECK_FALSE(mb.take_first([](const std::string& m) { return m[0] == 'z'; }));
  CHECK(mb.pop() == "a1");
  CHECK(mb.pop() == "a2");
  CHECK(mb.pop() == "b2");
}

TEST_CASE("a closed mailbox drops its queue and refuses new messages") {
  mailbox<int> mb(0);  // a zero capacity is raised to one
  CHECK(mb.capacity() == 1);
  CHECK(mb.push(1) == send_status::ok);
  mb.close();
  CHECK(mb.closed());
  CHECK(mb.size() == 0);
  CHECK(mb.push(2) == send_status::closed);
}
