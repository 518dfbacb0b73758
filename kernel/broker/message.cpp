// SPDX-License-Identifier: Apache-2.0
#include "broker/message.hpp"

namespace emqx_cpp::broker {

std::uint32_t message::remaining_expiry(steady_clock::time_point now) const {
  if (expires_at == steady_clock::time_point{}) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - now).count();
  if (left <= 0) return 0;
  return static_cast<std::uint32_t>((left + 999) / 1000);
}

std::uint64_t wall_clock_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t wall_clock_us() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

message_id message_ids::next(std::uint64_t now_us) {
  message_id id{};
  for (int i = 0; i < 8; ++i)
    id[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(now_us >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    id[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(node_hash_ >> (24 - 8 * i));
  id[12] = static_cast<std::uint8_t>(worker_ >> 8);
  id[13] = static_cast<std::uint8_t>(worker_);
  id[14] = static_cast<std::uint8_t>(sequence_ >> 8);
  id[15] = static_cast<std::uint8_t>(sequence_);
  ++sequence_;
  return id;
}

std::uint32_t node_hash(std::string_view node_name) {
  std::uint32_t h = 2166136261U;
  for (const char c : node_name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619U;
  }
  return h;
}

std::string to_hex(const message_id& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (const auto b : id) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

}  // namespace emqx_cpp::broker
