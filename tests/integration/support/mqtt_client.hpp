// SPDX-License-Identifier: Apache-2.0
//
// A blocking MQTT test client that speaks raw bytes when a test needs to break the
// protocol and decodes what the broker answers with the kernel's codec. Tests use it
// for exact packet-level expectations (reason codes, properties, DISCONNECT before a
// close) that command-line clients cannot show.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mqtt/codec.hpp"

namespace emqx_cpp::testing {

class mqtt_client {
 public:
  mqtt_client(const std::string& host, int port,
              mqtt::protocol_version version = mqtt::protocol_version::v5);
  ~mqtt_client();
  mqtt_client(const mqtt_client&) = delete;
  mqtt_client& operator=(const mqtt_client&) = delete;

  mqtt::protocol_version version() const { return version_; }

  // Sends CONNECT and returns the CONNACK (or nullopt if the broker closed instead).
  std::optional<mqtt::connack_packet> connect(
      mqtt::connect_packet c, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Connects with a client id, clean start and the given keepalive; expects success.
  bool connect(const std::string& client_id, bool clean_start = true, std::uint16_t keepalive = 60);

  bool send(const mqtt::packet& p);
  // PUBLISH owns its properties uniquely, so it is sent without a variant copy.
  bool send(const mqtt::publish_packet& p);
  bool send_raw(const std::string& bytes);
  bool send_hex(const std::string& hex);

  // The next packet, or nullopt on timeout or close.
  std::optional<mqtt::packet> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next packet of type T, skipping others; nullopt on timeout/close.
  template <class T>
  std::optional<T> expect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto p = receive(left);
      if (!p) return std::nullopt;
      if (auto* t = std::get_if<T>(&*p)) return std::move(*t);
    }
    return std::nullopt;
  }

  // True once the broker has closed the connection (within `timeout`); packets that
  // arrive first are kept and can still be read with receive().
  bool closed_within(std::chrono::milliseconds timeout);

  bool subscribe(const std::string& filter, std::uint8_t qos, std::uint16_t packet_id = 1,
                 std::uint32_t subscription_id = 0);
  bool publish(const std::string& topic, const std::string& payload, std::uint8_t qos = 0,
               bool retain = false, std::uint16_t packet_id = 1);
  // PINGREQ and wait for PINGRESP.
  bool ping(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void close();

 private:
  bool fill(std::chrono::milliseconds timeout);

  int fd_ = -1;
  mqtt::protocol_version version_;
  std::string buffer_;
  bool peer_closed_ = false;
};

std::string from_hex(const std::string& hex);

}  // namespace emqx_cpp::testing
