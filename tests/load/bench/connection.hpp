// SPDX-License-Identifier: Apache-2.0
//
// One MQTT client connection of the bench tool: a non-blocking socket, an input buffer
// parsed frame by frame, and an output buffer the worker flushes once per loop
// iteration. A publisher copies a PUBLISH pre-encoded at start-up and patches only the
// packet id and the payload stamp, so sending a message allocates nothing; a
// subscriber parses PUBLISH by hand (the codec's decoder would copy topic and payload
// into strings) and keeps a sequence tracker per publisher it hears from.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "byte_buffer.hpp"
#include "run_state.hpp"
#include "sequence_tracker.hpp"

namespace emqx_bench {

class worker;

class connection {
 public:
  enum class state : std::uint8_t {
    created,
    connecting,
    awaiting_connack,
    awaiting_suback,
    ready,
    closing,
    closed,
    failed
  };

  connection(worker& w, const client_plan& plan);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Opens the socket and starts connecting; false when that failed at once.
  bool start(const sockaddr_in& broker, std::uint64_t now);
  void on_event(std::uint32_t events, std::uint64_t now);
  // Writes what is buffered; arms EPOLLOUT when the socket is full.
  void flush();
  // Sends DISCONNECT and half-closes; the worker closes after the last flush.
  void send_disconnect();
  void close_socket();
  void fail(const char* why);
  // PINGREQ when nothing was sent for half the keep alive.
  void keepalive(std::uint64_t now);

  // Publisher: how many messages may be appended now (inflight, window, buffer).
  std::uint32_t room() const;
  // Room below this is not worth a write of its own; wait for more acks or credit.
  std::uint32_t refill_min() const { return refill_min_; }
  // Appends n messages stamped `now` (n <= room()).
  void publish(std::uint64_t now, std::uint32_t n);
  // A window that has not moved for a while is given up (its messages are lost);
  // called by the worker's housekeeping. Returns true when it gave up.
  bool check_stall(std::uint64_t now, std::uint64_t stall_ns);

  state current() const { return state_; }
  int fd() const { return fd_; }
  bool dirty() const { return dirty_; }
  void set_dirty(bool d) { dirty_ = d; }
  const client_plan& plan() const { return plan_; }
  std::uint64_t sent() const { return sent_; }
  std::uint32_t inflight() const { return inflight_; }
  std::uint64_t handshake_ns() const { return handshake_ns_; }
  std::uint64_t started_ns() const { return started_ns_; }
  const std::unordered_map<std::uint32_t, sequence_tracker>& trackers() const { return trackers_; }
  const std::string& failure() const { return failure_; }

 private:
  void on_connected(std::uint64_t now);
  void read_input(std::uint64_t now);
  // Returns false when the connection failed while parsing.
  bool handle_frame(std::uint8_t byte0, const std::uint8_t* body, std::size_t len,
                    std::uint64_t now);
  void handle_publish(std::uint8_t flags, const std::uint8_t* body, std::size_t len,
                      std::uint64_t now);
  void handle_ack(std::uint8_t type, const std::uint8_t* body, std::size_t len);
  void put_ack(std::uint8_t byte0, std::uint16_t id);
  void build_template();
  std::uint16_t take_packet_id();
  void release_packet_id(std::uint16_t id);
  void mark_dirty();
  sequence_tracker& tracker_for(std::uint32_t publisher);

  worker& worker_;
  const client_plan& plan_;
  int fd_ = -1;
  state state_ = state::created;
  bool dirty_ = false;
  bool want_out_ = false;
  bool v5_ = false;
  std::uint8_t qos_ = 0;
  byte_buffer in_;
  byte_buffer out_;
  std::uint64_t last_out_ns_ = 0;
  std::uint64_t started_ns_ = 0;
  std::uint64_t handshake_ns_ = 0;  // when CONNACK (and SUBACK) completed
  std::string failure_;

  // Publisher.
  std::vector<std::uint8_t> template_;
  std::size_t packet_id_offset_ = 0;
  std::size_t stamp_offset_ = 0;
  std::uint64_t sent_ = 0;
  std::uint32_t inflight_ = 0;
  std::uint32_t inflight_limit_ = 0;
  std::uint32_t refill_min_ = 1;
  std::uint16_t last_packet_id_ = 0;
  std::vector<std::uint64_t> ids_in_use_;  // 65536 bits, QoS 1/2 publishers only
  std::uint64_t window_given_up_ = 0;      // deliveries written off by check_stall
  std::uint64_t last_settled_ = 0;
  std::uint64_t last_progress_ns_ = 0;

  // Subscriber.
  std::unordered_map<std::uint32_t, sequence_tracker> trackers_;
  std::uint32_t last_publisher_ = ~0U;
  sequence_tracker* last_tracker_ = nullptr;
};

}  // namespace emqx_bench
