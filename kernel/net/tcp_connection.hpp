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
#include <span>
#include <string>
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
  std::size_t pending_output() const { return out_.size() - out_pos_; }
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

  std::uint64_t bytes_in() const { return bytes_in_; }
  // Input memory this connection holds of its own (none while no packet is partial).
  std::size_t input_capacity() const { return in_.capacity(); }
  std::uint64_t bytes_out() const { return bytes_out_; }

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

  int fd_;
  handler* handler_;
  std::size_t high_watermark_;
  ::event* read_ev_ = nullptr;
  ::event* write_ev_ = nullptr;
  std::vector<std::uint8_t> in_;
  const std::uint8_t* in_base_ = nullptr;  // in_.data() or the thread's scratch buffer
  std::size_t in_start_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
  std::size_t out_pos_ = 0;
  bool write_armed_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool draining_ = false;  // our side is shut down; discarding input until the peer closes
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace emqx_cpp::net
