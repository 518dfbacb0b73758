// SPDX-License-Identifier: Apache-2.0
//
// One TCP connection on an I/O worker: a non-blocking socket, input the codec parses in
// place (read into a per-thread buffer; see read_some), and an output buffer that
// collects every packet produced in one event-loop cycle so they leave in a single
// write. It knows nothing of MQTT.
//
// Back-pressure: output above the high-water mark is reported (the broker then drops
// QoS 0 and queues QoS 1/2 in the session); when a write cannot complete the socket is
// watched for writability instead of spinning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

struct event_base;
struct event;

namespace emqx_cpp::net {

class tcp_connection {
 public:
  // Callbacks run on the worker's loop. A handler must not destroy the connection from
  // inside a callback; the owner frees closed connections at the end of the loop cycle.
  class handler {
   public:
    virtual ~handler() = default;
    // New bytes are in input(); consume() what was parsed.
    virtual void on_input(tcp_connection& c) = 0;
    // The peer closed or the socket failed. The connection reads and writes no more.
    virtual void on_closed(tcp_connection& c, const std::string& why) = 0;
    // All queued output was written after a partial write.
    virtual void on_drained(tcp_connection& /*c*/) {}
  };

  // Takes ownership of `fd` (non-blocking). `initial_input` is data already read from
  // it elsewhere (a connection handed over from another worker).
  tcp_connection(::event_base* base, int fd, handler* h, std::size_t high_watermark,
                 std::string_view initial_input = {});
  ~tcp_connection();
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  // Starts reading; call once the handler is ready.
  void start();

  std::span<const std::uint8_t> input() const {
    return {in_base_ + in_start_, in_end_ - in_start_};
  }
  void consume(std::size_t n);

  // Where encoders append. Call flush() (or let the owner flush at the end of the cycle).
  std::string& output() { return out_; }
  // Appends `data` to the output without copying it: it is written from where it lies
  // (writev), and `owner` keeps it alive until then. For large payloads, which would
  // otherwise be copied once per subscriber.
  void append_shared(std::shared_ptr<const void> owner, std::string_view data);
  std::size_t pending_output() const {
    return out_.size() - out_pos_ + (shared_ ? shared_->unsent : 0);
  }
  // A complete packet of `size` bytes is being collected: the connection's own buffer
  // is sized for it at once, so the rest arrives in as few reads as the socket allows
  // and is not moved again while it grows.
  void expect_input(std::uint32_t size) { expected_ = size; }
  bool over_high_watermark() const { return pending_output() >= high_watermark_; }

  // Writes what it can now; watches for writability if the kernel buffer is full.
  void flush();
  // Stops handing input to the handler, writes the remaining output, shuts down the
  // sending side and closes once the peer has closed too (a graceful close).
  void close_after_flush();
  // Closes the socket now; queued output is dropped.
  void close_now();
  bool closed() const { return fd_ < 0; }

  // Detaches the socket from this worker (for a handover): removes its events and
  // returns the fd with the unparsed input. The connection is closed afterwards.
  int release(std::string& unparsed_input);

  void pause_reading();
  void resume_reading();
  // Hands the callbacks to another handler (a connection outliving its channel while
  // its last bytes drain).
  void set_handler(handler* h) { handler_ = h; }

  // Bytes read and written since the last call (for the node's byte counters).
  std::uint64_t take_bytes_in() { return std::exchange(bytes_in_, 0); }
  std::uint64_t take_bytes_out() { return std::exchange(bytes_out_, 0); }
  // Input memory this connection holds of its own (none while no packet is partial).
  std::size_t input_capacity() const { return in_.capacity(); }

 private:
  static void on_read_event(int fd, short what, void* self);
  static void on_write_event(int fd, short what, void* self);
  void read_some();
  void write_some();
  void fail(const std::string& why);
  void half_close();
  void drain_input();
  // After the handler ran on bytes in the thread's scratch buffer: moves what it left
  // unparsed into this connection's own buffer.
  void keep_unparsed();
  // Buffer size for collecting an incomplete packet of which `have` bytes are in.
  std::size_t collect_size(std::size_t have) const;
  // Writes output with shared pieces (sendmsg over an iovec list); returns what send
  // returns.
  long send_gathered();
  void advance_gathered(std::size_t n);

  int fd_;
  std::uint32_t expected_ = 0;  // size of the packet being collected, when known
  handler* handler_;
  // The socket's read event lives inside the connection (event_assign) rather than in
  // an allocation of its own: every connection has one, and a separate block costs its
  // malloc header and a pointer. Sized for libevent 2.1's struct event, which the .cpp
  // checks at compile time and libevent at run time.
  static constexpr std::size_t event_storage_size = 128;
  alignas(8) unsigned char read_ev_storage_[event_storage_size];
  ::event* read_ev() { return reinterpret_cast<::event*>(read_ev_storage_); }
  ::event* write_ev_ = nullptr;
  std::vector<std::uint8_t> in_;
  const std::uint8_t* in_base_ = nullptr;  // in_.data() or the thread's scratch buffer
  // Input is bounded by the largest packet (256 MiB) plus one read.
  std::uint32_t in_start_ = 0;
  std::uint32_t in_end_ = 0;
  std::string out_;
  std::size_t out_pos_ = 0;
  // Output pieces that are not in out_: each goes before out_[at].
  struct shared_piece {
    std::size_t at;
    std::string_view data;
    std::shared_ptr<const void> owner;
  };
  struct shared_output {
    std::vector<shared_piece> pieces;
    std::size_t head = 0;  // the first piece not completely written
    std::size_t sent = 0;  // bytes of pieces[head] already written
    std::size_t unsent = 0;
  };
  std::unique_ptr<shared_output> shared_;  // only while such pieces wait
  std::uint32_t high_watermark_;
  bool write_armed_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool draining_ = false;  // our side is shut down; discarding input until the peer closes
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace emqx_cpp::net
