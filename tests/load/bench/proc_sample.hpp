// SPDX-License-Identifier: Apache-2.0
//
// CPU time and resident memory of a process, read from /proc (the broker, which runs on
// the same machine), and the tool's own CPU time from getrusage. Taken at the edges of
// the measured window, so the per-message figures exclude connecting and draining.
#pragma once

#include <cstdint>
#include <optional>

namespace emqx_bench {

// utime + stime of every thread of `pid`, in seconds (10 ms resolution on Linux).
std::optional<double> process_cpu_s(int pid);
// VmRSS of `pid` in KiB.
std::optional<std::uint64_t> process_rss_kb(int pid);
// VmHWM of `pid` in KiB: the highest VmRSS since it started.
std::optional<std::uint64_t> process_peak_rss_kb(int pid);
// User + system CPU of this process, in seconds.
double self_cpu_s();

}  // namespace emqx_bench
