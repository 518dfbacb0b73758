// SPDX-License-Identifier: Apache-2.0
//
// The plugins of a node: which are wanted ([plugins] enabled, or loaded at run time),
// their manifests and checked configuration, and a supervisor per plugin under the
// "plugins" supervisor. A plugin that crashes is restarted with backoff by its own
// supervisor; past its restart intensity that supervisor gives up, the plugin is marked
// failed and the broker keeps serving without it (each hook's fallback applies).
//
// Everything here runs on the control thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/broker_config.hpp"
#include "plugin/async_calls.hpp"
#include "plugin/hook_registry.hpp"
#include "plugin/host_services.hpp"
#include "plugin/manifest.hpp"
#include "plugin/plugin_instance.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/supervisor.hpp"

namespace emqx_cpp::plugin {

struct plugin_status {
  std::string name;
  std::string state;  // running, restarting, failed, stopped
  std::string version;
  std::string file;
  int restarts = 0;
  std::string last_error;
  std::uint64_t hooks = 0;
};

class plugin_manager {
 public:
  plugin_manager(runtime::event_loop& control, host_services& services, hook_registry& hooks,
                 async_calls& calls, mgmt::mgmt_registry& mgmt, const ecp_host_api& api,
                 config::broker_config cfg);
  ~plugin_manager();

  // Finds every enabled plugin's manifest and checks its table, before any code loads.
  // The first problem is returned (start-up stops with it).
  result<void> check() const;

  // The "plugins" supervisor: a child of the root. Starting it loads the enabled plugins.
  runtime::child_spec child_spec();

  // Run-time control (emqx-cpp ctl plugins ...). `done` runs on the control thread once
  // the operation has finished.
  using done_fn = std::function<void(result<void>)>;
  void load(const std::string& name, const done_fn& done);
  void unload(const std::string& name, const done_fn& done);
  // Re-reads the plugin's table from the configuration file, stops and unloads the
  // running instance, loads the file on disk again (a rebuilt .so is picked up), starts.
  void reload(const std::string& name, const done_fn& done);

  std::vector<plugin_status> list() const;
  std::optional<plugin_status> status(const std::string& name) const;

  plugin_context& context() { return ctx_; }

 private:
  struct prepared {
    manifest info;
    std::string table_text;
  };
  result<prepared> prepare(const std::string& name, const config::broker_config& cfg) const;
  runtime::child_spec plugin_spec(const std::string& name, prepared p);
  std::shared_ptr<plugin_instance> instance(const std::string& name) const;

  plugin_context ctx_;
  config::broker_config cfg_;
  std::shared_ptr<runtime::supervisor> supervisor_;
  std::vector<std::string> wanted_;  // in load order
  struct record {
    std::string version;
    std::string file;
    std::string last_error;
    std::weak_ptr<plugin_instance> current;
  };
  std::map<std::string, std::shared_ptr<record>> records_;
};

}  // namespace emqx_cpp::plugin
