// SPDX-License-Identifier: Apache-2.0
#include "broker/memory_guard.hpp"

#include <malloc.h>

#include "broker/broker.hpp"
#include "broker/worker.hpp"

#if defined(__SANITIZE_ADDRESS__)
// Provided by the address sanitizer's runtime (GCC ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace emqx_cpp::broker {

std::uint64_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // in use in the arenas, plus mmapped blocks
#endif
}

void memory_guard::start() {
  if (!broker_.cfg().overload_protection.enable) return;
  broker_.worker_at(0).loop().post([this] { sample(); });
}

void memory_guard::sample() {
  const auto& op = broker_.cfg().overload_protection;
  const std::uint64_t used = heap_in_use();
  auto& log = *runtime::logger_for("broker");
  if (!overloaded() && used >= op.memory_high_watermark) {
    overloaded_.store(true, std::memory_order_relaxed);
    log.warn(
        "overload_protection state=overloaded heap_in_use={} memory_high_watermark={} "
        "action=\"refusing connections, pausing publishers\"",
        used, op.memory_high_watermark);
  } else if (overloaded() && used < op.memory_low_watermark) {
    overloaded_.store(false, std::memory_order_relaxed);
    log.warn("overload_protection state=normal heap_in_use={} memory_low_watermark={}", used,
             op.memory_low_watermark);
    for (std::size_t i = 0; i < broker_.worker_count(); ++i) {
      worker& w = broker_.worker_at(i);
      w.loop().post([&w] {
        w.release_overload_holds();
        w.request_flush();
      });
    }
  }
  if (overloaded()) {
    // What queues gave back stays with the allocator otherwise; hand it to the system.
    malloc_trim(0);
  }
  broker_.worker_at(0).loop().schedule(std::chrono::milliseconds(100), [this] { sample(); });
}

}  // namespace emqx_cpp::broker
