// SPDX-License-Identifier: Apache-2.0
//
// A scriptable supervised process for supervisor tests: it records its life in a shared
// journal ("start a", "stop a", "kill a") and crashes, exits or turns unhealthy on
// demand. Everything runs on a manual_executor, so no test sleeps.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/manual_executor.hpp"
#include "runtime/supervisor.hpp"

namespace emqx_cpp::runtime::testing {

struct journal {
  std::vector<std::string> events;
  std::map<std::string, std::shared_ptr<class test_worker>> live;
  std::map<std::string, int> starts;
  std::map<std::string, bool> fail_start;     // next start of this id fails
  std::map<std::string, bool> hang_shutdown;  // ignore orderly shutdown requests

  std::string joined() const {
    std::string out;
    for (const auto& e : events)
      out += (out.empty() ? "" : ",") + e;
    return out;
  }
};

class test_worker final : public process {
 public:
  test_worker(std::string id, journal& j) : id_(std::move(id)), j_(j) {}

  void shutdown() override {
    j_.events.push_back("stop " + id_);
    if (!j_.hang_shutdown[id_]) notify_exit(exit_reason::shutdown());
  }
  void kill() override { j_.events.push_back("kill " + id_); }
  std::optional<bool> probe_health() override { return healthy; }

  void crash(const std::string& why) { notify_exit(exit_reason::error(why)); }
  void finish() { notify_exit(exit_reason::normal()); }

  bool healthy = true;

 private:
  std::string id_;
  journal& j_;
};

inline child_spec worker(const std::string& id, journal& j,
                         restart_type restart = restart_type::permanent) {
  child_spec spec;
  spec.id = id;
  spec.restart = restart;
  spec.start = [id, &j](const std::any& args) -> std::shared_ptr<process> {
    std::string name = id;
    if (const auto* suffix = std::any_cast<std::string>(&args)) name += ":" + *suffix;
    if (j.fail_start[id]) {
      j.events.push_back("start_failed " + name);
      throw std::runtime_error("refused to start");
    }
    j.events.push_back("start " + name);
    j.starts[id]++;
    auto w = std::make_shared<test_worker>(name, j);
    j.live[name] = w;
    return w;
  };
  return spec;
}

// Flags with no jitter and a fixed seed, so delays are exact.
inline supervisor_flags flags(strategy s, int intensity = 10, duration period = seconds(60)) {
  supervisor_flags f;
  f.strat = s;
  f.intensity = intensity;
  f.period = period;
  f.backoff.min = milliseconds(100);
  f.backoff.max = seconds(2);
  f.backoff.factor = 2.0;
  f.backoff.jitter = 0.0;
  f.seed = 42;
  return f;
}

}  // namespace emqx_cpp::runtime::testing
