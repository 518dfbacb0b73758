// SPDX-License-Identifier: Apache-2.0
//
// Cost of the router on the publish path (docs/design/router.md): matching a topic
// against tables of plain and wildcard filters, the price of a subscribe, and what a
// shared table behind a reader-writer lock would add per publish when two workers
// match at once (the design we did not take).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <vector>

#include "broker/router.hpp"

using namespace emqx_cpp::broker;

namespace {
// devices/<d>/sensors/<s>, with a '+' or '#' subscription for every tenth device.
void fill(router& r, int devices, int sensors) {
  std::uint64_t id = 1;
  for (int d = 0; d < devices; ++d) {
    for (int s = 0; s < sensors; ++s) {
      route rt;
      rt.who = {0, id++};
      r.add("devices/" + std::to_string(d) + "/sensors/" + std::to_string(s), "", rt);
    }
    if (d % 10 == 0) {
      route rt;
      rt.who = {0, id++};
      r.add("devices/" + std::to_string(d) + "/sensors/+", "", rt);
      rt.who = {0, id++};
      r.add("devices/" + std::to_string(d) + "/#", "", rt);
    }
  }
}

// 1024 publish topics spread over the devices of fill(), the same on every run.
std::vector<std::string> sample_topics(int devices) {
  std::mt19937 rng(1);
  std::vector<std::string> topics;
  topics.reserve(1024);
  for (int i = 0; i < 1024; ++i)
    topics.push_back("devices/" + std::to_string(rng() % devices) + "/sensors/" +
                     std::to_string(rng() % 10));
  return topics;
}

void bm_match(benchmark::State& state) {
  const std::size_t heap_before = mallinfo2().uordblks;
  router r;
  const int devices = static_cast<int>(state.range(0));
  fill(r, devices, 10);
  const std::size_t heap_after = mallinfo2().uordblks;
  const std::vector<std::string> topics = sample_topics(devices);
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    r.match(
        topics[i++ & 1023], [&](const route&) { ++hits; }, [&](share_group&) {});
  }
  benchmark::DoNotOptimize(hits);
  state.counters["routes"] = static_cast<double>(r.route_count());
  state.counters["heap_bytes_per_route"] =
      static_cast<double>(heap_after - heap_before) / static_cast<double>(r.route_count());
}
BENCHMARK(bm_match)->Arg(100)->Arg(10000)->Arg(100000);

// What emqx-cpp does: each worker's replica has its own mutex, taken around every
// match and, briefly, by a subscribe on any worker. Uncontended here.
void bm_match_own_lock(benchmark::State& state) {
  router r;
  fill(r, 10000, 10);
  std::mutex replica_lock;
  const std::vector<std::string> topics = sample_topics(10000);
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    std::lock_guard lock(replica_lock);
    r.match(
        topics[i++ & 1023], [&](const route&) { ++hits; }, [&](share_group&) {});
  }
  benchmark::DoNotOptimize(hits);
}
BENCHMARK(bm_match_own_lock);

void bm_subscribe_unsubscribe(benchmark::State& state) {
  router r;
  fill(r, 10000, 10);
  route rt;
  rt.who = {0, 999999999};
  for (auto _ : state) {
    r.add("devices/42/sensors/new", "", rt);
    r.remove("devices/42/sensors/new", "", rt.who);
  }
}
BENCHMARK(bm_subscribe_unsubscribe);

// The alternative: one table for all workers behind a reader-writer lock.
std::shared_mutex shared_table_lock;

router& shared_table() {
  static router* table = [] {
    auto* r = new router();  // lives for the whole run: threads may still read it at exit
    fill(*r, 10000, 10);
    return r;
  }();
  return *table;
}

void bm_match_shared_lock(benchmark::State& state) {
  router& table = shared_table();
  std::size_t hits = 0;
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  const std::string topics[4] = {"devices/10/sensors/1", "devices/20/sensors/2",
                                 "devices/31/sensors/3", "devices/99/sensors/9"};
  for (auto _ : state) {
    std::shared_lock lock(shared_table_lock);
    table.match(
        topics[i++ & 3], [&](const route&) { ++hits; }, [&](share_group&) {});
  }
  benchmark::DoNotOptimize(hits);
}
BENCHMARK(bm_match_shared_lock)->Threads(1)->Threads(2);
}  // namespace

BENCHMARK_MAIN();
