// SPDX-License-Identifier: Apache-2.0
//
// The node's memory budget (overload_protection.*, docs/design/flow-control.md). Ten
// times a second the first worker reads how much heap the process has in use; above
// memory_high_watermark the node is overloaded until it is back below
// memory_low_watermark. While overloaded, new connections are refused (CONNACK 0x89,
// return code 3 for MQTT 3.x) and every channel stops reading at its next PUBLISH;
// acknowledgements, PINGREQ and DISCONNECT are still read, so subscribers go on draining
// and free what the node holds. EMQX has overload_protection but no memory budget.
#pragma once

#include <atomic>
#include <cstdint>

namespace emqx_cpp::broker {

class broker;

// Heap bytes the process has in use: the allocator's figure (glibc's, or the address
// sanitizer's in a sanitizer build), not RSS, which keeps pages the allocator holds
// for reuse and so would not come down as queues drain.
std::uint64_t heap_in_use();

class memory_guard {
 public:
  explicit memory_guard(broker& b) : broker_(b) {}
  // Starts sampling on the first worker (when overload_protection.enable is true).
  void start();
  bool overloaded() const { return overloaded_.load(std::memory_order_relaxed); }

 private:
  void sample();
  broker& broker_;
  std::atomic<bool> overloaded_{false};
};

}  // namespace emqx_cpp::broker
