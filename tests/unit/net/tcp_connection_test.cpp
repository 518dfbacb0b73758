// SPDX-License-Identifier: Apache-2.0
//
// tcp_connection over a socketpair: input parsed in place from the per-thread read
// buffer, partial frames kept across reads (in a buffer of their final size once it is
// known), no input memory held while idle, and output written with shared pieces.
#include "net/tcp_connection.hpp"

#include <doctest/doctest.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using emqx_cpp::net::tcp_connection;

namespace {
// Frames are a one-byte length and that many bytes; only whole frames are consumed.
struct frame_handler : tcp_connection::handler {
  std::vector<std::string> frames;
  std::string closed_why;
  std::size_t stop_after = SIZE_MAX;  // pause reading once this many frames arrived
  void on_input(tcp_connection& c) override {
    for (;;) {
      auto in = c.input();
      if (in.empty() || in.size() < 1u + in[0]) return;
      frames.emplace_back(reinterpret_cast<const char*>(in.data()) + 1, in[0]);
      c.consume(1u + in[0]);
      if (frames.size() >= stop_after) {
        c.pause_reading();
        return;
      }
    }
  }
  void on_closed(tcp_connection& /*c*/, const std::string& why) override { closed_why = why; }
};

struct pair_fixture {
  event_base* base = event_base_new();
  int fds[2] = {-1, -1};
  pair_fixture() {
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  }
  ~pair_fixture() {
    if (fds[1] >= 0) close(fds[1]);
    event_base_free(base);
  }
  pair_fixture(const pair_fixture&) = delete;
  pair_fixture& operator=(const pair_fixture&) = delete;
  void send(const std::string& bytes) const {
    REQUIRE(write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  void spin() const { event_base_loop(base, EVLOOP_NONBLOCK); }
};

std::string frame(const std::string& body) {
  return std::string(1, static_cast<char>(body.size())) + body;
}
}  // namespace

TEST_CASE("tcp_connection: whole frames are handed over without a buffer of its own") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  p.send(frame("hello") + frame("world"));
  p.spin();
  CHECK(h.frames == std::vector<std::string>{"hello", "world"});
  CHECK(c.input().empty());
  CHECK(c.input_capacity() == 0);
}

TEST_CASE("tcp_connection: a frame split over reads is kept until it is complete") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  const std::string f = frame("split across three reads");
  p.send(frame("first") + f.substr(0, 4));
  p.spin();
  CHECK(h.frames == std::vector<std::string>{"first"});
  CHECK(c.input().size() == 4);
  CHECK(c.input_capacity() >= 4);
  p.send(f.substr(4, 10));
  p.spin();
  CHECK(h.frames.size() == 1);
  CHECK(c.input().size() == 14);
  p.send(f.substr(14) + frame("last"));
  p.spin();
  CHECK(h.frames == std::vector<std::string>{"first", "split across three reads", "last"});
  // Once nothing is partial the connection gives its input memory back.
  CHECK(c.input_capacity() == 0);
}

TEST_CASE("tcp_connection: input left when reading pauses survives the next read") {
  pair_fixture p;
  frame_handler h;
  h.stop_after = 1;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  p.send(frame("one") + frame("two") + frame("three"));
  p.spin();
  CHECK(h.frames == std::vector<std::string>{"one"});
  // What was read but not parsed moved out of the shared read buffer.
  CHECK(c.input().size() == frame("two").size() + frame("three").size());
  // Another connection reading on this thread reuses the shared buffer meanwhile.
  pair_fixture q;
  frame_handler other;
  tcp_connection d(q.base, q.fds[0], &other, 1 << 20);
  d.start();
  q.send(frame("elsewhere"));
  q.spin();
  CHECK(other.frames == std::vector<std::string>{"elsewhere"});
  h.stop_after = SIZE_MAX;
  h.on_input(c);
  CHECK(h.frames == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("tcp_connection: a handover takes the unparsed input along") {
  pair_fixture p;
  frame_handler h;
  h.stop_after = 1;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  p.send(frame("one") + frame("two"));
  p.spin();
  std::string rest;
  const int fd = c.release(rest);
  CHECK(fd == p.fds[0]);
  CHECK(rest == frame("two"));
  CHECK(c.closed());
  frame_handler h2;
  tcp_connection adopted(p.base, fd, &h2, 1 << 20, rest);
  adopted.start();
  CHECK(h2.frames == std::vector<std::string>{"two"});
}

TEST_CASE("tcp_connection: the peer closing is reported once") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  close(p.fds[1]);
  p.fds[1] = -1;
  p.spin();
  CHECK(h.closed_why == "closed by peer");
  CHECK(c.closed());
}

namespace {
// Drains the other end of the pair while the connection writes, until it has nothing
// pending; returns every byte that arrived.
std::string read_everything(pair_fixture& p, tcp_connection& c) {
  std::string got;
  std::string sink(1 << 16, '\0');
  for (int i = 0; i < 10000 && c.pending_output() > 0; ++i) {
    const ssize_t n = recv(p.fds[1], sink.data(), sink.size(), MSG_DONTWAIT);
    if (n > 0) got.append(sink.data(), static_cast<std::size_t>(n));
    p.spin();
  }
  for (;;) {
    const ssize_t n = recv(p.fds[1], sink.data(), sink.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    got.append(sink.data(), static_cast<std::size_t>(n));
  }
  return got;
}
}  // namespace

TEST_CASE("tcp_connection: output is written in one go and a full socket arms a write event") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  int sndbuf = 4096;
  setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  c.output().assign(1 << 20, 'x');
  c.flush();
  CHECK(c.pending_output() > 0);  // the socket buffer is full
  CHECK(read_everything(p, c) == std::string(std::size_t{1} << 20, 'x'));
  CHECK(c.pending_output() == 0);
}

TEST_CASE("tcp_connection: shared pieces leave in order between copied bytes, partly written") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, std::size_t{64} << 20);
  c.start();
  int sndbuf = 4096;
  setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  // 150 pieces: more than one sendmsg's iovecs, each partly written at some point.
  std::string expected;
  std::vector<std::weak_ptr<const void>> owners;
  for (int i = 0; i < 150; ++i) {
    const std::string head = "<" + std::to_string(i) + ">";
    c.output() += head;
    expected += head;
    auto payload = std::make_shared<const std::string>(
        std::string(static_cast<std::size_t>(1000 + i * 37), static_cast<char>('a' + i % 26)));
    c.append_shared(payload, *payload);
    expected += *payload;
    owners.push_back(payload);
    if (i % 3 == 0) c.append_shared(payload, {});  // an empty piece is no piece
  }
  c.output() += "tail";
  expected += "tail";
  CHECK(c.pending_output() == expected.size());
  c.flush();
  CHECK(c.pending_output() > 0);
  // The connection keeps what it has not written alive.
  CHECK_FALSE(owners.back().expired());
  const std::string got = read_everything(p, c);
  CHECK(c.pending_output() == 0);
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  for (const auto& o : owners)
    CHECK(o.expired());
}

TEST_CASE("tcp_connection: closing drops the references to unwritten pieces") {
  pair_fixture p;
  frame_handler h;
  tcp_connection c(p.base, p.fds[0], &h, std::size_t{64} << 20);
  c.start();
  int sndbuf = 4096;
  setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  auto payload = std::make_shared<const std::string>(std::string(std::size_t{1} << 20, 'z'));
  std::weak_ptr<const void> owner = payload;
  c.append_shared(payload, *payload);
  payload.reset();
  c.flush();
  CHECK(c.pending_output() > 0);
  CHECK_FALSE(owner.expired());
  c.close_now();
  CHECK(owner.expired());
}

namespace {
// Frames with a four-byte big-endian length; announces the size of an incomplete
// frame as soon as its length is in, as the channel does with MQTT's fixed header.
struct sized_handler : tcp_connection::handler {
  std::vector<std::size_t> frames;
  void on_input(tcp_connection& c) override {
    for (;;) {
      auto in = c.input();
      if (in.size() < 4) return;
      const std::size_t size = (std::size_t{in[0]} << 24) | (std::size_t{in[1]} << 16) |
                               (std::size_t{in[2]} << 8) | in[3];
      if (in.size() < 4 + size) {
        c.expect_input(static_cast<std::uint32_t>(4 + size));
        return;
      }
      frames.push_back(size);
      c.consume(4 + size);
    }
  }
  void on_closed(tcp_connection& /*c*/, const std::string& /*why*/) override {}
};

std::string sized_header(std::size_t size) {
  return {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
          static_cast<char>(size >> 8), static_cast<char>(size)};
}
}  // namespace

TEST_CASE("tcp_connection: a large frame is collected in a buffer of its final size") {
  pair_fixture p;
  sized_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  const std::size_t size = 60000;
  const std::string f = sized_header(size) + std::string(size, 'q');
  p.send(f.substr(0, 3000));
  p.spin();
  CHECK(h.frames.empty());
  // Sized for the whole frame at once (not grown chunk by chunk as it arrives).
  CHECK(c.input_capacity() == f.size());
  p.send(f.substr(3000, 40000));
  p.spin();
  CHECK(c.input_capacity() == f.size());
  p.send(f.substr(43000));
  p.spin();
  CHECK(h.frames == std::vector<std::size_t>{size});
  CHECK(c.input_capacity() == 0);
}

TEST_CASE("tcp_connection: an announced size alone does not make it allocate for it") {
  pair_fixture p;
  sized_handler h;
  tcp_connection c(p.base, p.fds[0], &h, 1 << 20);
  c.start();
  p.send(sized_header(std::size_t{200} << 20) + "x");
  p.spin();
  // A scratch buffer's worth beyond what came, not 200 MiB.
  CHECK(c.input_capacity() <= std::size_t{64} * 1024 + 5);
  p.send(std::string(70000, 'x'));
  p.spin();
  CHECK(c.input_capacity() <= std::size_t{2} * 64 * 1024 + 70005);
}
