// SPDX-License-Identifier: Apache-2.0
//
// The supervisor: OTP's rules, words and defaults (supervisor.erl), plus backoff and
// health probes. Children start in order and stop in reverse. When one ends, its
// restart type decides whether it comes back and the strategy decides which siblings
// come back with it; more than `intensity` restarts within `period` shuts the
// supervisor down and escalates to its parent. Restarts wait an exponential backoff
// with jitter, and each is one structured log line and one tick of
// emqx_cpp_process_restarts_total{child}.
//
// A supervisor and everything it does run on one executor: call its methods there.
// Children may live on other executors; their exits are posted back.
#pragma once

#include <any>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/backoff.hpp"
#include "runtime/executor.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/process.hpp"
#include "runtime/result.hpp"

namespace emqx_cpp::runtime {

enum class strategy { one_for_one, one_for_all, rest_for_one, simple_one_for_one };
enum class restart_type { permanent, transient, temporary };
enum class child_type { worker, supervisor };

struct shutdown_policy {
  enum class kind { brutal_kill, timeout, infinity };
  kind what = kind::timeout;
  duration timeout = seconds(5);

  static shutdown_policy brutal_kill() { return {kind::brutal_kill, {}}; }
  static shutdown_policy after(duration t) { return {kind::timeout, t}; }
  static shutdown_policy infinity() { return {kind::infinity, {}}; }
};

// Poll the child's probe every `interval` (zero: never); `failure_threshold`
// consecutive failures restart it.
struct health_policy {
  duration interval = duration::zero();
  int failure_threshold = 3;
};

// Starts a child and returns it running. Throw or return nullptr to report a failed
// start. `args` is empty except for simple_one_for_one children.
using start_function = std::function<std::shared_ptr<process>(const std::any& args)>;

struct child_spec {
  std::string id;
  start_function start;
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown = {};
  child_type type = child_type::worker;
  health_policy health = {};
};

struct supervisor_flags {
  strategy strat = strategy::one_for_one;
  int intensity = 1;  // OTP's default: 1 restart in 5 s
  duration period = seconds(5);
  backoff_policy backoff = {};
  std::uint64_t seed = 0;  // jitter seed; 0 picks a random one
};

const char* to_string(strategy s);

class supervisor final : public process, public std::enable_shared_from_this<supervisor> {
 public:
  static std::shared_ptr<supervisor> create(std::string id, executor& exec, supervisor_flags flags,
                                            std::vector<child_spec> children,
                                            metrics_registry* metrics = nullptr);

  // A child spec that starts a nested supervisor, for building trees. The nested one
  // runs on the same executor as `exec`.
  static child_spec as_child(const std::string& id, executor& exec, supervisor_flags flags,
                             std::function<std::vector<child_spec>()> children,
                             metrics_registry* metrics = nullptr);

  // Starts the children in order. On the first failure the ones already started are
  // stopped in reverse order and the error names the child.
  result<void> start();

  // Adds and starts a child (not for simple_one_for_one).
  result<std::string> start_child(child_spec spec);
  // simple_one_for_one: starts a new child from the template with these arguments;
  // returns its generated id.
  result<std::string> start_child(std::any args);
  // Stops a child and keeps its spec (OTP terminate_child); simple_one_for_one
  // children are removed. `done` runs when it has stopped.
  result<void> terminate_child(const std::string& id, std::function<void()> done = {});
  // Starts a stopped child again (OTP restart_child).
  result<void> restart_child(const std::string& id);
  // Forgets a stopped child (OTP delete_child).
  result<void> delete_child(const std::string& id);

  void shutdown() override;
  void kill() override;
  void describe(process_state& into) const override;

  process_state state() const;
  const std::string& id() const { return id_; }
  std::size_t child_count() const { return children_.size(); }
  // The running process of a child, or nullptr.
  std::shared_ptr<process> child(const std::string& id) const;

  supervisor(std::string id, executor& exec, const supervisor_flags& flags,
             metrics_registry* metrics);

 private:
  enum class child_status { running, stopping, stopped, restarting };
  struct child_record;
  struct deferred_exit;

  static const char* name_of(child_status s);

  child_record* find(const std::string& id) const;
  std::size_t index_of(const child_record& rec) const;
  bool start_one(child_record& rec);
  void on_child_exit(const std::string& id, std::uint64_t generation, const exit_reason& reason);
  void handle_exit(child_record& rec, exit_reason reason);
  void decide(child_record& rec, const exit_reason& reason);
  bool note_restart();
  void restart_from(std::size_t index, duration delay);
  void schedule_start(child_record& rec, duration delay, bool whole_tail);
  void start_restarting_from(const std::string& id, bool whole_tail);
  void stop_child(child_record& rec, std::function<void()> then);
  void complete_stop(child_record& rec);
  void stop_sequence(std::vector<std::string> ids, std::function<void()> done);
  void stop_all_then(std::function<void()> done);
  void arm_health(child_record& rec);
  void check_health(const std::string& id, std::uint64_t generation);
  void escalate(const child_record& rec, const exit_reason& reason);
  void erase(const std::string& id);
  void log_exit(const child_record& rec, const exit_reason& reason) const;

  const std::string id_;
  executor& exec_;
  const supervisor_flags flags_;
  metrics_registry* metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<child_record>> children_;
  std::deque<steady_time> restart_times_;
  std::vector<std::string> group_;  // a group stop (one_for_all, rest_for_one) in progress
  std::vector<deferred_exit> deferred_;
  std::string status_ = "stopped";
  std::string last_error_;
  int restarts_ = 0;
  std::uint64_t next_dynamic_id_ = 1;
  bool stopping_all_ = false;
};

}  // namespace emqx_cpp::runtime
