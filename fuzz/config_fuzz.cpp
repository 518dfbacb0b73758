// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the configuration loader: the input is a broker.toml. Whatever
// it holds, loading must not crash, and a file that loads must survive the round trip
// through describe(): the text describe() writes loads again to the same configuration.
// Seed it with conf/broker.toml.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace emqx_cpp::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = load_config_string(text, "fuzz.toml", {});
  if (!first) return 0;
  const auto described = describe(first.value());
  const auto second = load_config_string(described, "described.toml", {});
  if (!second || describe(second.value()) != described) __builtin_trap();
  return 0;
}
