// SPDX-License-Identifier: Apache-2.0
//
// emqx-cpp: the broker's command line.
//   emqx-cpp start [--config FILE]      run in the foreground (SIGTERM/SIGINT stop it)
//   emqx-cpp check-config FILE [--print]  validate a configuration file (exit 2 if bad)
//   emqx-cpp version
// Without --config the embedded defaults apply; EMQX_CPP_* variables override either.
#include <event2/event.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app/broker_process.hpp"
#include "config/loader.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/supervisor.hpp"

using namespace emqx_cpp;

namespace {
constexpr const char* usage_text =
    "usage: emqx-cpp start [--config FILE]\n"
    "       emqx-cpp check-config FILE [--print]\n"
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

void on_signal(evutil_socket_t /*sig*/, short /*what*/, void* arg) {
  static_cast<runtime::supervisor*>(arg)->shutdown();
}

int start(const std::vector<std::string>& args) {
  std::string path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      return usage("unknown option " + args[i]);
    }
  }
  auto cfg = load(path);
  if (!cfg) {
    std::cerr << cfg.err().message << "\n";
    return 2;
  }
  const auto& log_cfg = cfg.value().log;
  runtime::set_log_level(log_cfg.level);
  if (!log_cfg.file.empty()) runtime::log_to_file(log_cfg.file);
  auto log = runtime::logger_for("node");

  runtime::event_loop main_loop;
  std::shared_ptr<app::broker_process> broker;
  runtime::child_spec spec;
  spec.id = "broker";
  spec.shutdown = runtime::shutdown_policy::infinity();
  spec.start = [&](const std::any&) -> std::shared_ptr<runtime::process> {
    auto b = std::make_shared<app::broker_process>(cfg.value());
    if (auto r = b->start(); !r) throw std::runtime_error(r.err().message);
    broker = b;
    for (std::size_t i = 0; i < b->get().listener_count(); ++i) {
      const auto& l = b->get().listener(i);
      std::cout << "listener tcp:" << l.cfg.name << " on " << l.cfg.host << ":" << l.port
                << std::endl;
    }
    return b;
  };
  runtime::supervisor_flags flags;
  flags.intensity = 3;
  flags.period = runtime::seconds(60);
  auto root = runtime::supervisor::create("root", main_loop, flags, {spec});
  int exit_code = 0;
  root->set_exit_callback([&](const runtime::exit_reason& why) {
    if (!why.is_orderly()) {
      log->error("root supervisor ended reason=\"{}\"", why.to_string());
      exit_code = 1;
    }
    main_loop.stop();
  });
  if (auto r = root->start(); !r) {
    log->error("start failed: {}", r.err().message);
    std::cerr << "emqx-cpp: " << r.err().message << "\n";
    return 1;
  }
  log->info("emqx-cpp {} started node={} workers={}", EMQX_CPP_VERSION, cfg.value().node.name,
            broker->get().worker_count());
  std::cout << "emqx-cpp " << EMQX_CPP_VERSION << " is running" << std::endl;

  event* sigterm = evsignal_new(main_loop.base(), SIGTERM, on_signal, root.get());
  event* sigint = evsignal_new(main_loop.base(), SIGINT, on_signal, root.get());
  event_add(sigterm, nullptr);
  event_add(sigint, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  main_loop.run();
  event_free(sigterm);
  event_free(sigint);
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
