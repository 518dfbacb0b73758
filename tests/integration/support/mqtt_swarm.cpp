// SPDX-License-Identifier: Apache-2.0
#include "support/mqtt_swarm.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "mqtt/codec.hpp"

namespace emqx_cpp::testing {

using clock_type = std::chrono::steady_clock;

struct mqtt_swarm::impl {
  struct client {
    int fd = -1;
    int index = 0;
    bool publisher = false;
    bool connected = false;
    bool subscribed = false;
    bool closed = false;
    std::string in;
    std::string out;
    std::uint64_t next_seq = 1;
    std::set<std::uint16_t> unacked;
    std::set<std::uint64_t> seen;  // subscribers: sequence numbers received
    std::uint16_t next_id = 1;
  };

  std::string host;
  int port = 0;
  int pairs = 0;
  std::string prefix;
  int rate = 0;
  int window = 0;
  int ep = -1;
  std::vector<client> clients;
  std::thread thread;
  std::atomic<bool> running{false};
  std::atomic<bool> publishing{true};
  std::mutex mutex;  // guards the counters read by finish()
  swarm_result counts;
  std::uint64_t subscribed = 0;
  std::vector<std::set<std::uint64_t>> acked_seqs;
  std::vector<std::map<std::uint16_t, std::uint64_t>> id_to_seq;

  void send(client& c, const mqtt::packet& p) {
    mqtt::encode(p, mqtt::protocol_version::v3_1_1, c.out);
    flush(c);
  }
  void send_publish(client& c, const mqtt::publish_packet& p) {
    mqtt::encode_publish(p, mqtt::protocol_version::v3_1_1, c.out);
    flush(c);
  }
  void flush(client& c) {
    while (!c.out.empty() && !c.closed) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // retried on the next tick
      lose(c);
      return;
    }
  }
  void lose(client& c) {
    if (c.closed) return;
    c.closed = true;
    ::close(c.fd);
    std::lock_guard lock(mutex);
    if (running) ++counts.disconnects;
  }

  void open_all() {
    ep = epoll_create1(EPOLL_CLOEXEC);
    clients.resize(static_cast<std::size_t>(pairs) * 2);
    for (std::size_t i = 0; i < clients.size(); ++i) {
      auto& c = clients[i];
      c.index = static_cast<int>(i % static_cast<std::size_t>(pairs));
      c.publisher = i < static_cast<std::size_t>(pairs);
      c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      inet_pton(AF_INET, host.c_str(), &a.sin_addr);
      if (::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        c.closed = true;
        continue;
      }
      const int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL, 0) | O_NONBLOCK);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
      mqtt::connect_packet cp;
      cp.version = mqtt::protocol_version::v3_1_1;
      cp.client_id =
          std::string(c.publisher ? "swarm-pub-" : "swarm-sub-") + std::to_string(c.index);
      cp.keep_alive = 60;
      send(c, cp);
    }
    acked_seqs.resize(static_cast<std::size_t>(pairs));
    id_to_seq.resize(static_cast<std::size_t>(pairs));
  }

  void on_packet(client& c, mqtt::packet& p) {
    if (std::holds_alternative<mqtt::connack_packet>(p)) {
      c.connected = true;
      {
        std::lock_guard lock(mutex);
        ++counts.connected;
      }
      if (!c.publisher) {
        mqtt::subscribe_packet s;
        s.packet_id = 1;
        s.entries.push_back({prefix + "/" + std::to_string(c.index), {1, false, false, 0}});
        send(c, s);
      }
    } else if (std::holds_alternative<mqtt::suback_packet>(p)) {
      c.subscribed = true;
      std::lock_guard lock(mutex);
      ++subscribed;
    } else if (auto* ack = std::get_if<mqtt::ack_packet>(&p)) {
      if (ack->type == mqtt::packet_type::puback && c.unacked.erase(ack->packet_id) != 0) {
        auto& map = id_to_seq[static_cast<std::size_t>(c.index)];
        std::lock_guard lock(mutex);
        ++counts.acknowledged;
        acked_seqs[static_cast<std::size_t>(c.index)].insert(map[ack->packet_id]);
        map.erase(ack->packet_id);
      }
    } else if (auto* pub = std::get_if<mqtt::publish_packet>(&p)) {
      const std::uint64_t seq = std::stoull(pub->payload);
      {
        std::lock_guard lock(mutex);
        if (c.seen.insert(seq).second) {
          ++counts.received;
        } else {
          ++counts.duplicates;
        }
      }
      if (pub->qos == 1) {
        mqtt::ack_packet a;
        a.packet_id = pub->packet_id;
        send(c, a);
      }
    }
  }

  void read_from(client& c) {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      lose(c);
      return;
    }
    for (;;) {
      mqtt::fixed_header h;
      const auto* data = reinterpret_cast<const std::uint8_t*>(c.in.data());
      if (mqtt::read_frame(std::span(data, c.in.size()), 0, h) != mqtt::frame_status::complete)
        return;
      auto d = mqtt::decode(h, std::span(data + h.header_size, h.remaining_length),
                            mqtt::protocol_version::v3_1_1);
      c.in.erase(0, h.frame_size());
      if (!d) {
        lose(c);
        return;
      }
      on_packet(c, d.value());
    }
  }

  void publish_tick(double seconds_elapsed) {
    if (!publishing) return;
    for (auto& c : clients) {
      if (!c.publisher || !c.connected || c.closed) continue;
      const auto due = static_cast<std::uint64_t>(seconds_elapsed * rate) + 1;
      while (c.next_seq <= due && c.unacked.size() < static_cast<std::size_t>(window)) {
        mqtt::publish_packet p;
        p.topic = prefix + "/" + std::to_string(c.index);
        p.qos = 1;
        p.packet_id = c.next_id;
        c.next_id = static_cast<std::uint16_t>(c.next_id == 65535 ? 1 : c.next_id + 1);
        p.payload = std::to_string(c.next_seq);
        id_to_seq[static_cast<std::size_t>(c.index)][p.packet_id] = c.next_seq;
        c.unacked.insert(p.packet_id);
        ++c.next_seq;
        {
          std::lock_guard lock(mutex);
          ++counts.published;
        }
        send_publish(c, p);
      }
    }
  }

  void run() {
    const auto started = clock_type::now();
    epoll_event events[256];
    while (running) {
      const int n = epoll_wait(ep, events, 256, 5);
      for (int i = 0; i < n; ++i) {
        auto& c = clients[static_cast<std::size_t>(events[i].data.u64)];
        if (!c.closed) read_from(c);
      }
      for (auto& c : clients)
        if (!c.closed && !c.out.empty()) flush(c);
      publish_tick(std::chrono::duration<double>(clock_type::now() - started).count());
    }
  }
};

mqtt_swarm::mqtt_swarm(std::string host, int port, int pairs, std::string topic_prefix, int rate,
                       int window)
    : impl_(new impl) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->pairs = pairs;
  impl_->prefix = std::move(topic_prefix);
  impl_->rate = rate;
  impl_->window = window;
}

mqtt_swarm::~mqtt_swarm() {
  impl_->running = false;
  if (impl_->thread.joinable()) impl_->thread.join();
  for (auto& c : impl_->clients)
    if (!c.closed) ::close(c.fd);
  if (impl_->ep >= 0) ::close(impl_->ep);
  delete impl_;
}

bool mqtt_swarm::start(std::chrono::milliseconds within) {
  impl_->publishing = false;
  impl_->open_all();
  impl_->running = true;
  impl_->thread = std::thread([this] { impl_->run(); });
  const auto deadline = clock_type::now() + within;
  while (clock_type::now() < deadline) {
    bool ready = false;
    {
      std::lock_guard lock(impl_->mutex);
      ready = impl_->counts.connected == impl_->clients.size() &&
              impl_->subscribed == static_cast<std::uint64_t>(impl_->pairs) &&
              impl_->counts.disconnects == 0;
    }
    if (ready) {
      impl_->publishing = true;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

swarm_result mqtt_swarm::finish(std::chrono::milliseconds drain) {
  impl_->publishing = false;
  const auto deadline = clock_type::now() + drain;
  while (clock_type::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(impl_->mutex);
    bool settled = true;
    for (std::size_t i = 0; i < impl_->acked_seqs.size(); ++i) {
      const auto& sub = impl_->clients[impl_->acked_seqs.size() + i];
      for (auto seq : impl_->acked_seqs[i]) {
        if (sub.seen.count(seq) == 0) {
          settled = false;
          break;
        }
      }
      if (!settled) break;
    }
    if (settled) break;
  }
  impl_->running = false;
  if (impl_->thread.joinable()) impl_->thread.join();
  swarm_result r = impl_->counts;
  for (std::size_t i = 0; i < impl_->acked_seqs.size(); ++i) {
    const auto& sub = impl_->clients[impl_->acked_seqs.size() + i];
    for (auto seq : impl_->acked_seqs[i])
      if (sub.seen.count(seq) == 0) ++r.lost;
  }
  return r;
}

}  // namespace emqx_cpp::testing
