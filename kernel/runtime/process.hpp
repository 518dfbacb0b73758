// SPDX-License-Identifier: Apache-2.0
//
// A process is anything a supervisor can start, stop, kill and watch: an actor, a
// listener, a plugin instance, another supervisor. It reports its own end exactly once
// through notify_exit(), from any thread; the supervisor decides what happens next.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace emqx_cpp::runtime {

// Why a process ended, in OTP's terms: normal and shutdown are orderly ends (a transient
// child is not restarted for them); killed and error are not.
struct exit_reason {
  enum class kind { normal, shutdown, killed, error };
  kind what = kind::normal;
  std::string detail;

  static exit_reason normal() { return {kind::normal, {}}; }
  static exit_reason shutdown() { return {kind::shutdown, {}}; }
  static exit_reason killed() { return {kind::killed, {}}; }
  static exit_reason error(std::string why) { return {kind::error, std::move(why)}; }

  bool is_orderly() const { return what == kind::normal || what == kind::shutdown; }
  std::string to_string() const;
};

// A snapshot of one node of the supervision tree, for the management API and logs.
struct process_state {
  std::string id;
  std::string type;      // "worker" or "supervisor"
  std::string status;    // running, stopping, stopped, restarting, failed
  std::string strategy;  // supervisors only
  int restarts = 0;
  std::string last_error;
  std::vector<process_state> children;
};

// Renders a state tree as JSON: {"id","type","status","restarts","last_error",...}.
std::string to_json(const process_state& state);

class process {
 public:
  using exit_callback = std::function<void(const exit_reason&)>;

  process() = default;
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  virtual ~process() = default;

  // Orderly stop. The process must end with notify_exit() (shutdown reason), possibly
  // later and from another thread. Called on the supervisor's executor.
  virtual void shutdown() = 0;

  // Immediate stop (OTP brutal_kill). Must not wait for anything; no exit notification
  // is needed. Work already running on another thread finishes its current step.
  virtual void kill() = 0;

  // Health probe: std::nullopt when the process has none, otherwise healthy or not.
  // Called on the supervisor's executor; must be thread-safe and must not block.
  virtual std::optional<bool> probe_health() { return std::nullopt; }

  // Supervisors fill in their strategy and children; workers add nothing.
  virtual void describe(process_state& /*into*/) const {}

  // Installed by the supervisor. If the process already ended, fires at once.
  void set_exit_callback(exit_callback cb);

 protected:
  // Reports the end of this process. Only the first call counts. Safe from any thread.
  void notify_exit(exit_reason reason);

 private:
  std::mutex exit_mutex_;
  exit_callback exit_cb_;
  std::optional<exit_reason> early_exit_;
  bool exited_ = false;
};

}  // namespace emqx_cpp::runtime
