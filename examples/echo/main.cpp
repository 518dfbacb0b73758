// SPDX-License-Identifier: Apache-2.0
//
// emqx-cpp-echo: the supervision runtime shown end to end. A TCP echo service whose
// handler runs under a supervisor on its own thread. Send "crash" and the handler
// throws; the supervisor logs the restart, waits its backoff and starts a new handler,
// while every client stays connected. "stats" answers with the restart count.
#include <event2/event.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "echo_handler.hpp"
#include "echo_listener.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/log.hpp"
#include "runtime/supervisor.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::runtime;
using emqx_cpp::examples::echo_handler;
using emqx_cpp::examples::echo_listener;

namespace {
struct options {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::size_t mailbox_capacity = 1024;
};

int usage(const char* why) {
  std::cerr << "emqx-cpp-echo: " << why << "\n"
            << "usage: emqx-cpp-echo [--bind ADDR] [--port N] [--mailbox-capacity N]\n";
  return 2;
}

void on_signal(evutil_socket_t /*sig*/, short /*what*/, void* arg) {
  static_cast<supervisor*>(arg)->shutdown();
}
}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    try {
      if (a == "--bind") {
        opt.host = v;
      } else if (a == "--port") {
        opt.port = std::stoi(v);
      } else if (a == "--mailbox-capacity") {
        opt.mailbox_capacity = std::stoul(v);
      } else {
        return usage(("unknown option " + a).c_str());
      }
    } catch (const std::exception&) {
      return usage(("bad value for " + a + ": " + v).c_str());
    }
  }

  auto log = logger_for("echo");
  metrics_registry metrics;
  event_loop main_loop;
  thread_executor handler_thread("echo-handler");

  std::shared_ptr<echo_handler> current_handler;  // touched on the main loop only
  std::shared_ptr<echo_listener> listener;

  child_spec handler_spec;
  handler_spec.id = "echo_handler";
  handler_spec.start = [&](const std::any&) {
    auto reply = [&main_loop, &listener](std::uint64_t conn, std::string text) {
      main_loop.post([&listener, conn, text = std::move(text)] {
        if (listener) listener->reply(conn, text);
      });
    };
    auto stats = [&metrics] {
      const double n =
          metrics.value_of("emqx_cpp_process_restarts_total", {{"child", "echo_handler"}});
      return "restarts=" + std::to_string(n < 0 ? 0 : static_cast<long long>(n));
    };
    current_handler = std::make_shared<echo_handler>(handler_thread.loop(), opt.mailbox_capacity,
                                                     metrics, reply, stats);
    return current_handler;
  };

  int bound_port = 0;
  child_spec listener_spec;
  listener_spec.id = "echo_listener";
  listener_spec.start = [&](const std::any&) {
    listener = std::make_shared<echo_listener>(main_loop, [&] { return current_handler; });
    bound_port = listener->listen(opt.host, opt.port);
    return listener;
  };

  supervisor_flags flags;
  flags.strat = strategy::one_for_one;
  flags.intensity = 5;
  flags.period = seconds(10);
  flags.backoff.min = milliseconds(200);
  flags.backoff.max = seconds(5);
  auto root =
      supervisor::create("echo_root", main_loop, flags, {handler_spec, listener_spec}, &metrics);
  int exit_code = 0;
  root->set_exit_callback([&](const exit_reason& why) {
    if (!why.is_orderly()) {
      log->error("root supervisor ended reason=\"{}\"", why.to_string());
      exit_code = 1;
    }
    main_loop.post([&] { main_loop.stop(); });
  });

  if (auto r = root->start(); !r) {
    log->error("start failed: {}", r.err().message);
    return 1;
  }
  std::cout << "echo listening on " << opt.host << ":" << bound_port << std::endl;

  event* sigterm = evsignal_new(main_loop.base(), SIGTERM, on_signal, root.get());
  event* sigint = evsignal_new(main_loop.base(), SIGINT, on_signal, root.get());
  event_add(sigterm, nullptr);
  event_add(sigint, nullptr);
  main_loop.run();
  event_free(sigterm);
  event_free(sigint);
  log->info("stopped tree={}", to_json(root->state()));
  listener.reset();
  current_handler.reset();
  return exit_code;
}
