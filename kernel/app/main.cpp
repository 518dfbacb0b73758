// SPDX-License-Identifier: Apache-2.0
//
// emqx-cpp: the broker's command line.
//   emqx-cpp start [--config FILE]              run in the foreground (SIGTERM/SIGINT stop it)
//   emqx-cpp check-config FILE [--print]         validate a configuration file (exit 2 if bad)
//   emqx-cpp ctl [--config FILE] [--socket PATH] plugins list|status|load|unload|reload [NAME]
//   emqx-cpp version
// Without --config the embedded defaults apply; EMQX_CPP_* variables override either.
#include <event2/event.h>
#include <malloc.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "app/broker_process.hpp"
#include "app/ctl_commands.hpp"
#include "broker/plugin_bridge.hpp"
#include "config/loader.hpp"
#include "mgmt/ctl_server.hpp"
#include "mgmt/http_server.hpp"
#include "mgmt/mgmt_registry.hpp"
#include "plugin/host_api.hpp"
#include "plugin/plugin_manager.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/supervisor.hpp"

using namespace emqx_cpp;

namespace {
constexpr const char* usage_text =
    "usage: emqx-cpp start [--config FILE]\n"
    "       emqx-cpp check-config FILE [--print]\n"
    "       emqx-cpp ctl [--config FILE] [--socket PATH] plugins list|status|load|unload|reload "
    "[NAME]\n"
    "       emqx-cpp ctl [--config FILE] [--socket PATH] help | <a plugin's command> ...\n"
    "       emqx-cpp version\n";

int usage(const std::string& why) {
  std::cerr << "emqx-cpp: " << why << "\n" << usage_text;
  return 2;
}

result<config::broker_config> load(const std::string& path) {
  const auto env = config::process_environment();
  if (path.empty()) return config::load_config_string("", "defaults", env);
  return config::load_config_file(path, env);
}

std::string ctl_socket(const config::broker_config& cfg) {
  return (std::filesystem::path(cfg.node.data_dir) / "ctl.sock").string();
}

int check_config(const std::vector<std::string>& args) {
  if (args.empty()) return usage("check-config needs a file");
  auto cfg = load(args[0]);
  if (!cfg) {
    std::cerr << cfg.err().message << "\n";
    return 2;
  }
  if (args.size() > 1 && args[1] == "--print") std::cout << config::describe(cfg.value());
  std::cout << args[0] << ": ok\n";
  return 0;
}

int ctl(const std::vector<std::string>& args) {
  std::string path;
  std::string socket;
  std::string request;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i] == "--socket" && i + 1 < args.size()) {
      socket = args[++i];
    } else {
      request += (request.empty() ? "" : " ") + args[i];
    }
  }
  if (request.empty()) return usage("ctl needs a command");
  if (socket.empty()) {
    auto cfg = load(path);
    if (!cfg) {
      std::cerr << cfg.err().message << "\n";
      return 2;
    }
    socket = ctl_socket(cfg.value());
  }
  auto answer = mgmt::ctl_request(socket, request);
  if (!answer) {
    std::cerr << "emqx-cpp ctl: " << answer.err().message << "\n";
    return 1;
  }
  const bool failed = answer.value().rfind("error:", 0) == 0;
  (failed ? std::cerr : std::cout) << answer.value();
  return failed ? 1 : 0;
}

void on_signal(evutil_socket_t /*sig*/, short /*what*/, void* arg) {
  static_cast<runtime::supervisor*>(arg)->shutdown();
}

// glibc's defaults serve large messages badly: a buffer above the dynamic mmap threshold
// (128 KiB at first) is mapped and unmapped per message, and free memory above 128 KiB
// at the top of a heap is handed back to the kernel and faulted in again moments later.
// With 64 KiB payloads that churn cost about 40 % of the broker's CPU per message
// (page faults and page clearing, measured with perf). Every buffer up to the default
// maximum packet size now comes from the heap, and up to 32 MiB of free heap is kept
// for the next burst instead of being returned at once.
// Called first in start(), before any thread exists.
void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);   // NOLINT(concurrency-mt-unsafe)
  mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);  // NOLINT(concurrency-mt-unsafe)
}

int start(const std::vector<std::string>& args) {
  tune_allocator();
  std::string path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      return usage("unknown option " + args[i]);
    }
  }
  auto loaded = load(path);
  if (!loaded) {
    std::cerr << loaded.err().message << "\n";
    return 2;
  }
  const config::broker_config cfg = std::move(loaded.value());
  runtime::set_log_level(cfg.log.level);
  if (!cfg.log.file.empty()) runtime::log_to_file(cfg.log.file);
  auto log = runtime::logger_for("node");

  runtime::metrics_registry metrics;
  runtime::event_loop control;  // the control thread: supervisors, plugins, ctl
  broker::broker node(cfg, metrics);
  ecp_host_api host_api = plugin::make_host_api();
  broker::install_plugin_message_api(host_api);
  mgmt::mgmt_registry mgmt(control);  // ctl commands and REST routes of plugins
  plugin::plugin_manager plugins(control, node, node.hook_registry(), node.async_calls(), mgmt,
                                 host_api, cfg);
  // Plugin manifests and tables are checked before anything starts, like the broker's
  // own keys: a bad table stops start-up naming the key.
  if (auto checked = plugins.check(); !checked) {
    std::cerr << checked.err().message << "\n";
    return 2;
  }

  runtime::child_spec broker_spec;
  broker_spec.id = "broker";
  broker_spec.shutdown = runtime::shutdown_policy::infinity();
  broker_spec.start = [&](const std::any&) -> std::shared_ptr<runtime::process> {
    auto b = std::make_shared<app::broker_process>(node);
    if (auto r = b->start(); !r) throw std::runtime_error(r.err().message);
    return b;
  };
  runtime::child_spec listeners_spec;
  listeners_spec.id = "listeners";
  listeners_spec.shutdown = runtime::shutdown_policy::infinity();
  listeners_spec.start = [&](const std::any&) -> std::shared_ptr<runtime::process> {
    auto l = std::make_shared<app::listeners_process>(node);
    if (auto r = l->start(); !r) throw std::runtime_error(r.err().message);
    for (std::size_t i = 0; i < node.listener_count(); ++i) {
      const auto& li = node.listener(i);
      std::cout << "listener tcp:" << li.cfg.name << " on " << li.cfg.host << ":" << li.port
                << std::endl;
    }
    return l;
  };
  runtime::child_spec ctl_spec;
  ctl_spec.id = "ctl";
  ctl_spec.start = [&](const std::any&) -> std::shared_ptr<runtime::process> {
    auto server = std::make_shared<mgmt::ctl_server>(
        control, ctl_socket(cfg),
        [&plugins, &mgmt](const std::string& request,
                          const std::function<void(const std::string&)>& reply) {
          app::handle_ctl_request(plugins, mgmt, request, reply);
        });
    if (auto r = server->listen(); !r) throw std::runtime_error(r.err().message);
    return server;
  };
  std::vector<runtime::child_spec> children = {broker_spec, plugins.child_spec(), ctl_spec};
  if (cfg.dashboard.http_enable) {
    runtime::child_spec http_spec;
    http_spec.id = "http";
    http_spec.start = [&](const std::any&) -> std::shared_ptr<runtime::process> {
      auto server = std::make_shared<mgmt::http_server>(control, mgmt, cfg.node.name);
      auto port = server->listen(cfg.dashboard.http_host, cfg.dashboard.http_port);
      if (!port) throw std::runtime_error(port.err().message);
      std::cout << "listener http:dashboard on " << cfg.dashboard.http_host << ":" << port.value()
                << std::endl;
      return server;
    };
    children.push_back(http_spec);
  }
  children.push_back(listeners_spec);
  runtime::supervisor_flags flags;
  flags.intensity = 3;
  flags.period = runtime::seconds(60);
  // Started in this order, stopped in reverse: the MQTT listeners go first (clients are
  // disconnected and sessions saved while the plugins are still there), then the HTTP
  // listener and the control socket, then the plugins (while the workers still run, so
  // unloading can wait for them), the workers last.
  auto root = runtime::supervisor::create("root", control, flags, children, &metrics);
  int exit_code = 0;
  root->set_exit_callback([&](const runtime::exit_reason& why) {
    if (!why.is_orderly()) {
      log->error("root supervisor ended reason=\"{}\"", why.to_string());
      exit_code = 1;
    }
    control.stop();
  });
  if (auto r = root->start(); !r) {
    log->error("start failed: {}", r.err().message);
    std::cerr << "emqx-cpp: " << r.err().message << "\n";
    return 1;
  }
  log->info("emqx-cpp {} started node={} workers={} ctl={}", EMQX_CPP_VERSION, cfg.node.name,
            node.worker_count(), ctl_socket(cfg));
  std::cout << "emqx-cpp " << EMQX_CPP_VERSION << " is running" << std::endl;

  event* sigterm = evsignal_new(control.base(), SIGTERM, on_signal, root.get());
  event* sigint = evsignal_new(control.base(), SIGINT, on_signal, root.get());
  event_add(sigterm, nullptr);
  event_add(sigint, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  control.run();
  event_free(sigterm);
  event_free(sigint);
  node.stop();
  log->info("emqx-cpp stopped");
  spdlog::shutdown();
  return exit_code;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("no command");
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "start") return start(args);
  if (cmd == "check-config") return check_config(args);
  if (cmd == "ctl") return ctl(args);
  if (cmd == "version" || cmd == "--version") {
    std::cout << "emqx-cpp " << EMQX_CPP_VERSION << "\n";
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << usage_text;
    return 0;
  }
  return usage("unknown command " + cmd);
}
