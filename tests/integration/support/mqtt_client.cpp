// SPDX-License-Identifier: Apache-2.0
#include "support/mqtt_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace emqx_cpp::testing {

std::string from_hex(const std::string& hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;  // spaces and separators are allowed
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

mqtt_client::mqtt_client(const std::string& host, int port, mqtt::protocol_version version)
    : version_(version) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed");
}

mqtt_client::~mqtt_client() {
  close();
}

void mqtt_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool mqtt_client::send_raw(const std::string& bytes) {
  if (fd_ < 0) return false;
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

bool mqtt_client::send_hex(const std::string& hex) {
  return send_raw(from_hex(hex));
}

bool mqtt_client::send(const mqtt::packet& p) {
  mqtt::bytes out;
  mqtt::encode(p, version_, out);
  return send_raw(out);
}

bool mqtt_client::send(const mqtt::publish_packet& p) {
  mqtt::bytes out;
  mqtt::encode_publish(p, version_, out);
  return send_raw(out);
}

bool mqtt_client::fill(std::chrono::milliseconds timeout) {
  if (fd_ < 0 || peer_closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char chunk[65536];
  const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) {
    peer_closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<mqtt::packet> mqtt_client::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    mqtt::fixed_header h;
    const auto* data = reinterpret_cast<const std::uint8_t*>(buffer_.data());
    if (mqtt::read_frame(std::span(data, buffer_.size()), 0, h) == mqtt::frame_status::complete) {
      auto decoded = mqtt::decode(h, std::span(data + h.header_size, h.remaining_length), version_);
      buffer_.erase(0, h.frame_size());
      if (!decoded) throw std::runtime_error("broker sent a bad packet: " + decoded.err().message);
      return std::move(decoded.value());
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left)) return std::nullopt;
  }
}

bool mqtt_client::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!peer_closed_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    fill(left);
  }
  return true;
}

std::optional<mqtt::connack_packet> mqtt_client::connect(mqtt::connect_packet c,
                                                         std::chrono::milliseconds timeout) {
  c.version = version_;
  if (version_ == mqtt::protocol_version::v3_1) c.protocol_name = "MQIsdp";
  if (!send(c)) return std::nullopt;
  return expect<mqtt::connack_packet>(timeout);
}

bool mqtt_client::connect(const std::string& client_id, bool clean_start, std::uint16_t keepalive) {
  mqtt::connect_packet c;
  c.client_id = client_id;
  c.clean_start = clean_start;
  c.keep_alive = keepalive;
  auto ack = connect(std::move(c));
  return ack && ack->code == mqtt::reason_code::success;
}

bool mqtt_client::subscribe(const std::string& filter, std::uint8_t qos, std::uint16_t packet_id,
                            std::uint32_t subscription_id) {
  mqtt::subscribe_packet s;
  s.packet_id = packet_id;
  s.entries.push_back({filter, {qos, false, false, 0}});
  if (subscription_id != 0) s.props.subscription_identifiers.push_back(subscription_id);
  if (!send(s)) return false;
  auto ack = expect<mqtt::suback_packet>();
  return ack && ack->packet_id == packet_id && !ack->codes.empty() &&
         static_cast<std::uint8_t>(ack->codes[0]) == qos;
}

bool mqtt_client::publish(const std::string& topic, const std::string& payload, std::uint8_t qos,
                          bool retain, std::uint16_t packet_id) {
  mqtt::publish_packet p;
  p.topic = topic;
  p.payload = payload;
  p.qos = qos;
  p.retain = retain;
  p.packet_id = qos > 0 ? packet_id : 0;
  if (!send(p)) return false;
  if (qos == 0) return true;
  if (qos == 1) return expect<mqtt::ack_packet>().has_value();
  auto rec = expect<mqtt::ack_packet>();
  if (!rec) return false;
  mqtt::ack_packet rel;
  rel.type = mqtt::packet_type::pubrel;
  rel.packet_id = packet_id;
  if (!send(rel)) return false;
  return expect<mqtt::ack_packet>().has_value();
}

bool mqtt_client::ping(std::chrono::milliseconds timeout) {
  if (!send(mqtt::pingreq_packet{})) return false;
  return expect<mqtt::pingresp_packet>(timeout).has_value();
}

}  // namespace emqx_cpp::testing
