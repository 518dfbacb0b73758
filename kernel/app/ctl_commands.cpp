// SPDX-License-Identifier: Apache-2.0
#include "app/ctl_commands.hpp"

#include <fmt/format.h>

#include <sstream>
#include <vector>

namespace emqx_cpp::app {

namespace {
std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

std::string describe(const plugin::plugin_status& s) {
  return fmt::format("{:<20} {:<10} version={} restarts={} hooks={}{}", s.name, s.state,
                     s.version.empty() ? "-" : s.version, s.restarts, s.hooks,
                     s.last_error.empty() ? "" : " last_error=\"" + s.last_error + "\"");
}
}  // namespace

void handle_ctl_request(plugin::plugin_manager& plugins, mgmt::mgmt_registry& mgmt,
                        const std::string& request,
                        const std::function<void(const std::string&)>& reply) {
  const auto w = words(request);
  const std::string usage =
      "error: usage: plugins list | plugins status NAME | plugins load NAME | "
      "plugins unload NAME | plugins reload NAME | help";
  if (w.size() == 1 && w[0] == "help") {
    std::string out =
        "plugins      list | status NAME | load NAME | unload NAME | reload NAME (the kernel)\n";
    for (const auto& line : mgmt.ctl_usage())
      out += line + "\n";
    return reply(out);
  }
  // Commands plugins registered through the management seam.
  if (mgmt.dispatch_ctl(w, [reply](const mgmt::mgmt_answer& a) {
        const std::string text = a.body.empty() || a.body.back() == '\n' ? a.body : a.body + "\n";
        reply(a.status == 0 ? text : "error: " + text);
      }))
    return;
  if (w.size() < 2 || w[0] != "plugins") return reply(usage);
  const std::string& cmd = w[1];
  if (cmd == "list" && w.size() == 2) {
    std::string out;
    for (const auto& s : plugins.list())
      out += describe(s) + "\n";
    return reply(out.empty() ? "no plugins\n" : out);
  }
  if (w.size() != 3) return reply(usage);
  const std::string& name = w[2];
  if (cmd == "status") {
    auto s = plugins.status(name);
    if (!s) return reply("error: no plugin " + name);
    return reply(
        fmt::format("name: {}\nstate: {}\nversion: {}\nfile: {}\nrestarts: {}\nhooks: {}\n"
                    "last_error: {}\n",
                    s->name, s->state, s->version, s->file, s->restarts, s->hooks, s->last_error));
  }
  auto done = [reply, name, cmd](const result<void>& r) {
    reply(r ? fmt::format("ok: {} {}", cmd, name) : "error: " + r.err().message);
  };
  if (cmd == "load") return plugins.load(name, done);
  if (cmd == "unload") return plugins.unload(name, done);
  if (cmd == "reload") return plugins.reload(name, done);
  reply(usage);
}

}  // namespace emqx_cpp::app
