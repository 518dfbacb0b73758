// SPDX-License-Identifier: Apache-2.0
//
// The MQTT client side of the bench tool: connect, CONNECT/CONNACK, SUBSCRIBE/SUBACK,
// then PUBLISH in either direction with the QoS 1 and 2 acknowledgements. Hot paths
// (PUBLISH in and out, acks) are hand-written against the wire format; the rare
// packets go through the emqx_mqtt codec.
#include "connection.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "mqtt/codec.hpp"
#include "payload.hpp"
#include "worker.hpp"

namespace emqx_bench {
namespace {

namespace mq = emqx_cpp::mqtt;

constexpr std::size_t min_read_room = 4096;
constexpr std::size_t max_read_buffer = std::size_t{1024} * 1024;
// A publisher stops appending above this much unsent output, and waits for the socket.
constexpr std::size_t out_high_water = std::size_t{256} * 1024;

mq::protocol_version version_of(int v) {
  return v == 5 ? mq::protocol_version::v5
                : (v == 3 ? mq::protocol_version::v3_1 : mq::protocol_version::v3_1_1);
}

std::uint16_t get_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Variable byte integer at p (at most 4 bytes within len); 0 bytes used on error.
std::size_t get_varint(const std::uint8_t* p, std::size_t len, std::uint32_t& out) {
  out = 0;
  for (std::size_t i = 0; i < 4 && i < len; ++i) {
    out |= static_cast<std::uint32_t>(p[i] & 0x7F) << (7 * i);
    if (!(p[i] & 0x80)) return i + 1;
  }
  return 0;
}

}  // namespace

connection::connection(worker& w, const client_plan& plan)
    : worker_(w),
      plan_(plan),
      v5_(w.opts().version == 5),
      qos_(static_cast<std::uint8_t>(w.opts().qos)) {
  if (plan_.what == role::publisher) build_template();
}

connection::~connection() {
  close_socket();
}

void connection::build_template() {
  mq::publish_packet p;
  p.qos = qos_;
  p.topic = plan_.topic;
  p.packet_id = qos_ ? 1 : 0;
  p.payload.assign(worker_.opts().size, 'x');
  mq::bytes out;
  mq::encode_publish(p, version_of(worker_.opts().version), out);
  template_.assign(out.begin(), out.end());
  stamp_offset_ = template_.size() - worker_.opts().size;
  // The packet id sits just before the payload, or before the (empty) v5 property block.
  packet_id_offset_ = stamp_offset_ - 2 - (v5_ ? 1 : 0);
  inflight_limit_ = worker_.opts().inflight;
  if (qos_) ids_in_use_.assign(65536 / 64, 0);
  // At max rate a publisher tops up once a quarter of its limit is free rather than
  // after every ack: a send() per message would make the tool's kernel time, not the
  // broker, the ceiling when the broker acknowledges and delivers one message per write.
  std::uint64_t limit = out_high_water / template_.size() + 1;
  if (qos_) limit = std::min<std::uint64_t>(limit, inflight_limit_);
  if (worker_.window() && plan_.fanout) limit = std::min<std::uint64_t>(limit, worker_.window());
  refill_min_ = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, limit / 4));
}

bool connection::start(const sockaddr_in& broker, std::uint64_t now) {
  started_ns_ = now;
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    fail("socket");
    return false;
  }
  // Writes are already batched per loop iteration; Nagle would only add latency.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!plan_.source_addr.empty()) {
    // Pick the port at connect() time from the whole 4-tuple, not at bind(), so each
    // source address has the full ephemeral range for this destination.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, plan_.source_addr.c_str(), &src.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      fail("bind source address");
      return false;
    }
  }
  state_ = state::connecting;
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&broker), sizeof broker) == 0) {
    worker_.watch(*this, EPOLLIN);
    on_connected(now);
    return state_ != state::failed;
  }
  if (errno != EINPROGRESS) {
    fail("connect");
    return false;
  }
  worker_.watch(*this, EPOLLOUT);
  return true;
}

void connection::on_connected(std::uint64_t now) {
  mq::connect_packet c;
  c.version = version_of(worker_.opts().version);
  if (worker_.opts().version == 3) c.protocol_name = "MQIsdp";
  c.clean_start = true;
  c.keep_alive = worker_.opts().keepalive;
  c.client_id = plan_.client_id;
  mq::bytes out;
  mq::encode_connect(c, out);
  out_.append(out.data(), out.size());
  state_ = state::awaiting_connack;
  last_out_ns_ = now;
  mark_dirty();
}

void connection::on_event(std::uint32_t events, std::uint64_t now) {
  if (fd_ < 0) return;  // failed earlier in this batch of events
  if (state_ == state::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      errno = err;
      fail("connect");
      return;
    }
    worker_.watch(*this, EPOLLIN);
    on_connected(now);
    return;
  }
  if (events & EPOLLIN) {
    read_input(now);
    if (plan_.what == role::idle && in_.empty()) in_.release();
  }
  if (state_ == state::failed || state_ == state::closed) return;
  if (events & EPOLLOUT) flush();
  if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) fail("socket error");
}

void connection::read_input(std::uint64_t) {
  // Read until the socket is drained (a short read) or a bounded amount per event, so
  // one busy connection cannot starve the others.
  std::size_t budget = 4 * max_read_buffer;
  for (;;) {
    if (in_.tail_room() < min_read_room) {
      in_.compact();
      if (in_.tail_room() < min_read_room)
        in_.grow_to(std::min(std::max<std::size_t>(in_.capacity() * 2, 1024),
                             std::max(max_read_buffer, in_.size() + min_read_room)));
    }
    const std::size_t room = in_.tail_room();
    const ssize_t n = recv(fd_, in_.prepare(room), room, 0);
    worker_.count_recv();
    if (n == 0) {
      fail(state_ == state::closing ? nullptr : "closed by the broker");
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      fail("recv");
      return;
    }
    in_.commit(static_cast<std::size_t>(n));
    // One clock read per read: the messages in it became readable at the same time.
    const std::uint64_t t = now_ns();
    // Parse every whole frame.
    for (;;) {
      const std::uint8_t* p = in_.data();
      const std::size_t avail = in_.size();
      if (avail < 2) break;
      std::uint32_t remaining = 0;
      const std::size_t vlen = get_varint(p + 1, avail - 1, remaining);
      if (vlen == 0) {
        if (avail >= 5) {
          fail("malformed frame from the broker");
          return;
        }
        break;
      }
      const std::size_t frame = 1 + vlen + remaining;
      if (avail < frame) {
        if (in_.capacity() < frame) in_.grow_to(frame);
        break;
      }
      if (!handle_frame(p[0], p + 1 + vlen, remaining, t)) return;
      in_.consume(frame);
    }
    const auto got = static_cast<std::size_t>(n);
    if (got < room || got >= budget) return;
    budget -= got;
  }
}

bool connection::handle_frame(std::uint8_t byte0, const std::uint8_t* body, std::size_t len,
                              std::uint64_t now) {
  const std::uint8_t type = byte0 >> 4;
  switch (type) {
    case 3:
      handle_publish(byte0 & 0x0F, body, len, now);
      return true;
    case 4:
    case 5:
    case 6:
    case 7:
      handle_ack(type, body, len);
      return state_ != state::failed;
    case 13:  // PINGRESP
      return true;
    case 2:     // CONNACK
    case 9:     // SUBACK
    case 14: {  // DISCONNECT
      mq::fixed_header h;
      h.type = static_cast<mq::packet_type>(type);
      h.flags = byte0 & 0x0F;
      h.remaining_length = static_cast<std::uint32_t>(len);
      auto decoded = mq::decode(h, {body, len}, version_of(worker_.opts().version));
      if (!decoded) {
        fail("undecodable packet from the broker");
        return false;
      }
      if (auto* ca = std::get_if<mq::connack_packet>(&decoded.value())) {
        if (state_ != state::awaiting_connack || ca->code != mq::reason_code::success) {
          fail("CONNACK refused");
          return false;
        }
        if (ca->props.receive_maximum && *ca->props.receive_maximum < inflight_limit_) {
          inflight_limit_ = *ca->props.receive_maximum;
          refill_min_ = std::min(refill_min_, std::max<std::uint32_t>(1, inflight_limit_ / 4));
        }
        if (plan_.what == role::subscriber) {
          mq::subscribe_packet s;
          s.packet_id = 1;
          s.entries.push_back({plan_.topic, {.qos = qos_}});
          mq::bytes out;
          mq::encode_subscribe(s, version_of(worker_.opts().version), out);
          out_.append(out.data(), out.size());
          mark_dirty();
          state_ = state::awaiting_suback;
        } else {
          state_ = state::ready;
          handshake_ns_ = now;
          worker_.handshake_done(*this, true, now);
        }
        return true;
      }
      if (auto* sa = std::get_if<mq::suback_packet>(&decoded.value())) {
        if (state_ != state::awaiting_suback || sa->codes.empty() ||
            static_cast<std::uint8_t>(sa->codes[0]) >= 0x80) {
          fail("SUBSCRIBE refused");
          return false;
        }
        state_ = state::ready;
        handshake_ns_ = now;
        worker_.handshake_done(*this, true, now);
        return true;
      }
      fail("DISCONNECT from the broker");
      return false;
    }
    default:
      return true;
  }
}

void connection::handle_publish(std::uint8_t flags, const std::uint8_t* body, std::size_t len,
                                std::uint64_t now) {
  const std::uint8_t qos = (flags >> 1) & 3;
  if (len < 2) return worker_.protocol_error();
  std::size_t at = 2 + get_u16(body);
  std::uint16_t id = 0;
  if (qos) {
    if (at + 2 > len) return worker_.protocol_error();
    id = get_u16(body + at);
    at += 2;
  }
  if (v5_) {
    std::uint32_t plen = 0;
    const std::size_t used = get_varint(body + at, len - at, plen);
    if (used == 0) return worker_.protocol_error();
    at += used + plen;
  }
  if (qos == 1) put_ack(0x40, id);
  if (qos == 2) put_ack(0x50, id);
  if (at > len || len - at < stamp_size) return worker_.foreign_message();
  const stamp s = read_stamp(body + at);
  sequence_tracker* t = last_tracker_;
  if (s.publisher != last_publisher_) {
    t = &tracker_for(s.publisher);
    last_publisher_ = s.publisher;
    last_tracker_ = t;
  }
  const std::uint64_t unique_before = t->unique();
  const std::uint64_t settled = t->on_message(s.seq);
  worker_.delivered(s, settled, t->unique() != unique_before, len - at, now);
}

sequence_tracker& connection::tracker_for(std::uint32_t publisher) {
  auto [it, inserted] = trackers_.try_emplace(publisher);
  if (inserted) it->second.expect_from_zero(worker_.is_local_publisher(publisher));
  return it->second;
}

void connection::handle_ack(std::uint8_t type, const std::uint8_t* body, std::size_t len) {
  if (len < 2) return fail("short acknowledgement");
  const std::uint16_t id = get_u16(body);
  const bool refused = v5_ && len >= 3 && body[2] >= 0x80;
  switch (type) {
    case 4:  // PUBACK
    case 7:  // PUBCOMP
      release_packet_id(id);
      if (refused) worker_.refused_publish();
      break;
    case 5:  // PUBREC: answer PUBREL, unless refused (then the exchange is over)
      if (refused) {
        release_packet_id(id);
        worker_.refused_publish();
      } else {
        put_ack(0x62, id);
      }
      break;
    case 6:  // PUBREL of an inbound QoS 2 message
      put_ack(0x70, id);
      break;
    default:
      break;
  }
}

void connection::put_ack(std::uint8_t byte0, std::uint16_t id) {
  const std::uint8_t a[4] = {byte0, 2, static_cast<std::uint8_t>(id >> 8),
                             static_cast<std::uint8_t>(id & 0xFF)};
  out_.append(a, 4);
  mark_dirty();
}

std::uint32_t connection::room() const {
  if (state_ != state::ready || want_out_ || out_.size() >= out_high_water) return 0;
  std::uint64_t n = ~0U;
  if (qos_) n = inflight_limit_ > inflight_ ? inflight_limit_ - inflight_ : 0;
  const std::uint32_t window = worker_.window();
  if (window && plan_.fanout) {
    const std::uint64_t settled =
        worker_.shared().credit[plan_.index].settled.load(std::memory_order_relaxed) +
        window_given_up_;
    const std::uint64_t due = sent_ * plan_.fanout;
    const std::uint64_t open = due > settled ? due - settled : 0;
    // Messages whose every delivery is not yet settled, rounded up.
    const std::uint64_t pending = (open + plan_.fanout - 1) / plan_.fanout;
    n = std::min<std::uint64_t>(n, pending < window ? window - pending : 0);
  }
  const std::size_t per = template_.size();
  const std::size_t bytes_room = out_high_water - out_.size();
  n = std::min<std::uint64_t>(n, (bytes_room + per - 1) / per);
  return static_cast<std::uint32_t>(n);
}

void connection::publish(std::uint64_t now, std::uint32_t n) {
  const std::size_t per = template_.size();
  std::uint8_t* dst = out_.prepare(per * n);
  stamp s{now, worker_.publisher_id(plan_.index), 0};
  for (std::uint32_t i = 0; i < n; ++i) {
    std::memcpy(dst, template_.data(), per);
    if (qos_) {
      const std::uint16_t id = take_packet_id();
      dst[packet_id_offset_] = static_cast<std::uint8_t>(id >> 8);
      dst[packet_id_offset_ + 1] = static_cast<std::uint8_t>(id & 0xFF);
      ++inflight_;
    }
    s.seq = sent_++;
    write_stamp(dst + stamp_offset_, s);
    dst += per;
  }
  out_.commit(per * n);
  last_out_ns_ = now;
  worker_.published(n, static_cast<std::uint64_t>(n) * plan_.fanout, qos_ ? n : 0);
  mark_dirty();
}

std::uint16_t connection::take_packet_id() {
  for (;;) {
    last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ + 1);
    if (last_packet_id_ == 0) continue;
    auto& word = ids_in_use_[last_packet_id_ / 64];
    const std::uint64_t bit = 1ULL << (last_packet_id_ % 64);
    if (!(word & bit)) {
      word |= bit;
      return last_packet_id_;
    }
  }
}

void connection::release_packet_id(std::uint16_t id) {
  if (ids_in_use_.empty()) return worker_.unexpected_ack();
  auto& word = ids_in_use_[id / 64];
  const std::uint64_t bit = 1ULL << (id % 64);
  if (!(word & bit)) return worker_.unexpected_ack();
  word &= ~bit;
  --inflight_;
  worker_.acked();
}

bool connection::check_stall(std::uint64_t now, std::uint64_t stall_ns) {
  if (!plan_.fanout || !worker_.window() || state_ != state::ready) return false;
  const std::uint64_t settled =
      worker_.shared().credit[plan_.index].settled.load(std::memory_order_relaxed) +
      window_given_up_;
  const std::uint64_t due = sent_ * plan_.fanout;
  if (settled != last_settled_ || settled >= due) {
    last_settled_ = settled;
    last_progress_ns_ = now;
    return false;
  }
  if (now - last_progress_ns_ < stall_ns) return false;
  // Nothing settled for stall_ns with messages outstanding: the tail of the window was
  // lost (QoS 0 drops), so no later arrival will ever reveal the gap.
  window_given_up_ += due - settled;
  last_progress_ns_ = now;
  return true;
}

void connection::keepalive(std::uint64_t now) {
  const std::uint64_t ka = worker_.opts().keepalive;
  if (ka == 0 || state_ != state::ready) return;
  if (now - last_out_ns_ >= ka * 500'000'000ULL) {
    const std::uint8_t ping[2] = {0xC0, 0};
    out_.append(ping, 2);
    last_out_ns_ = now;
    mark_dirty();
  }
}

void connection::mark_dirty() {
  if (!dirty_) {
    dirty_ = true;
    worker_.mark_dirty(*this);
  }
}

void connection::flush() {
  if (fd_ < 0) return;
  while (!out_.empty()) {
    const ssize_t n = send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    worker_.count_send();
    if (n > 0) {
      out_.consume(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!want_out_) {
        want_out_ = true;
        worker_.watch(*this, EPOLLIN | EPOLLOUT);
      }
      return;
    }
    fail("send");
    return;
  }
  if (want_out_) {
    want_out_ = false;
    worker_.watch(*this, EPOLLIN);
  }
  // Idle connections give their buffers back; twenty thousand of them add up.
  if (plan_.what == role::idle) out_.release();
}

void connection::send_disconnect() {
  if (fd_ < 0 || state_ == state::failed || state_ == state::closed) return;
  if (state_ == state::ready || state_ == state::awaiting_suback) {
    const std::uint8_t d[2] = {0xE0, 0};
    out_.append(d, 2);
    mark_dirty();
  }
  state_ = state::closing;
}

void connection::close_socket() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (state_ != state::failed) state_ = state::closed;
}

void connection::fail(const char* why) {
  const bool was_handshaking = state_ == state::connecting || state_ == state::awaiting_connack ||
                               state_ == state::awaiting_suback || state_ == state::created;
  const bool was_closing = state_ == state::closing;
  if (why)
    failure_ = std::string(why) +
               (errno ? std::string(": ") + std::generic_category().message(errno) : "");
  close_socket();
  state_ = was_closing ? state::closed : state::failed;
  if (was_closing) return;
  if (was_handshaking)
    worker_.handshake_done(*this, false, now_ns());
  else
    worker_.lost_connection(*this);
}

}  // namespace emqx_bench
