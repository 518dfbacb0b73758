// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_manager.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/loader.hpp"

namespace emqx_cpp::plugin {

namespace {
constexpr const char* plugins_id = "plugins";

std::string table_of(const config::broker_config& cfg, const std::string& name) {
  for (const auto& [n, text] : cfg.plugins.tables)
    if (n == name) return text;
  return {};
}
}  // namespace

plugin_manager::plugin_manager(runtime::event_loop& control, host_services& services,
                               hook_registry& hooks, async_calls& calls, mgmt::mgmt_registry& mgmt,
                               const ecp_host_api& api, config::broker_config cfg)
    : ctx_{control, services, hooks, calls, mgmt, &api}, cfg_(std::move(cfg)) {
  for (const auto& name : cfg_.plugins.enabled)
    wanted_.push_back(name);
}

plugin_manager::~plugin_manager() = default;

result<plugin_manager::prepared> plugin_manager::prepare(const std::string& name,
                                                         const config::broker_config& cfg) const {
  auto m = find_manifest(name, cfg.plugins.search_path);
  if (!m) return m.err();
  prepared p{std::move(m.value()), table_of(cfg, name)};
  if (auto checked = plugin_config::resolve(p.info, p.table_text, cfg.source_file); !checked)
    return checked.err();
  return p;
}

result<void> plugin_manager::check() const {
  std::vector<std::string> seen;
  for (const auto& name : cfg_.plugins.enabled) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return make_error(fmt::format("plugins.enabled: plugin {} is listed twice", name));
    seen.push_back(name);
    if (auto p = prepare(name, cfg_); !p) return p.err();
  }
  for (const auto& [name, text] : cfg_.plugins.tables) {
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) {
      // A table for a plugin that is not enabled is kept for `ctl plugins load`, but a
      // plugin that cannot be found at all is most likely a typo.
      if (auto m = find_manifest(name, cfg_.plugins.search_path); !m)
        return make_error(fmt::format("[plugins.{}] configures a plugin that is not installed: {}",
                                      name, m.err().message));
    }
  }
  return {};
}

runtime::child_spec plugin_manager::plugin_spec(const std::string& name, prepared p) {
  auto rec = records_[name];
  if (!rec) rec = records_[name] = std::make_shared<record>();
  rec->version = p.info.version;
  rec->file = p.info.library_path;
  rec->last_error.clear();
  runtime::child_spec instance;
  instance.id = "instance";
  instance.shutdown = runtime::shutdown_policy::infinity();
  instance.health = {std::chrono::seconds(5), 3};
  auto shared = std::make_shared<prepared>(std::move(p));
  instance.start = [this, shared, rec](const std::any&) -> std::shared_ptr<runtime::process> {
    auto cfg = plugin_config::resolve(shared->info, shared->table_text, cfg_.source_file);
    if (!cfg) throw std::runtime_error(cfg.err().message);
    auto inst = std::make_shared<plugin_instance>(ctx_, shared->info, std::move(cfg.value()));
    if (auto r = inst->load(); !r) {
      rec->last_error = r.err().message;
      throw std::runtime_error(r.err().message);
    }
    rec->current = inst;
    return inst;
  };
  runtime::supervisor_flags flags;
  flags.strat = runtime::strategy::one_for_one;
  flags.intensity = 3;
  flags.period = std::chrono::seconds(60);
  flags.backoff.min = std::chrono::milliseconds(200);
  flags.backoff.max = std::chrono::seconds(10);
  auto spec = runtime::supervisor::as_child(
      name, ctx_.control, flags, [instance] { return std::vector<runtime::child_spec>{instance}; });
  // A plugin past its restart intensity is left out, not restarted forever.
  spec.restart = runtime::restart_type::temporary;
  return spec;
}

runtime::child_spec plugin_manager::child_spec() {
  runtime::child_spec spec;
  spec.id = plugins_id;
  spec.type = runtime::child_type::supervisor;
  spec.shutdown = runtime::shutdown_policy::infinity();
  spec.start = [this](const std::any&) -> std::shared_ptr<runtime::process> {
    runtime::supervisor_flags flags;
    flags.intensity = 1000;  // children are temporary: their failures never escalate
    supervisor_ = runtime::supervisor::create(plugins_id, ctx_.control, flags, {});
    if (auto r = supervisor_->start(); !r) throw std::runtime_error(r.err().message);
    auto log = runtime::logger_for("plugin");
    for (const auto& name : wanted_) {
      auto p = prepare(name, cfg_);
      if (!p) {
        log->error("plugin_not_loaded plugin={} reason=\"{}\"", name, p.err().message);
        records_[name] = std::make_shared<record>(record{{}, {}, p.err().message, {}});
        continue;
      }
      if (auto started = supervisor_->start_child(plugin_spec(name, std::move(p.value())));
          !started) {
        log->error("plugin_not_loaded plugin={} reason=\"{}\"", name, started.err().message);
      }
    }
    return supervisor_;
  };
  return spec;
}

std::shared_ptr<plugin_instance> plugin_manager::instance(const std::string& name) const {
  auto it = records_.find(name);
  return it == records_.end() ? nullptr : it->second->current.lock();
}

void plugin_manager::load(const std::string& name, const done_fn& done) {
  if (!supervisor_) return done(make_error("the plugin host is not running"));
  if (supervisor_->child(name) != nullptr)
    return done(make_error(fmt::format("plugin {} is already loaded", name)));
  auto p = prepare(name, cfg_);
  if (!p) return done(p.err());
  auto started = supervisor_->start_child(plugin_spec(name, std::move(p.value())));
  if (!started) return done(make_error(started.err().message));
  if (std::find(wanted_.begin(), wanted_.end(), name) == wanted_.end()) wanted_.push_back(name);
  done({});
}

void plugin_manager::unload(const std::string& name, const done_fn& done) {
  if (!supervisor_ || supervisor_->child(name) == nullptr)
    return done(make_error(fmt::format("plugin {} is not loaded", name)));
  std::erase(wanted_, name);
  auto r = supervisor_->terminate_child(name, [this, name, done] {
    (void)supervisor_->delete_child(name);
    done({});
  });
  if (!r) done(r);
}

void plugin_manager::reload(const std::string& name, const done_fn& done) {
  if (!supervisor_ || supervisor_->child(name) == nullptr)
    return done(make_error(fmt::format("plugin {} is not loaded", name)));
  // The new table and manifest are checked before the running instance is touched.
  config::broker_config fresh = cfg_;
  if (!cfg_.source_file.empty()) {
    auto reread = config::load_config_file(cfg_.source_file, config::process_environment());
    if (!reread) return done(reread.err());
    fresh = std::move(reread.value());
  }
  auto p = prepare(name, fresh);
  if (!p) return done(p.err());
  cfg_.plugins.tables = fresh.plugins.tables;
  auto shared = std::make_shared<prepared>(std::move(p.value()));
  auto r = supervisor_->terminate_child(name, [this, name, shared, done] {
    (void)supervisor_->delete_child(name);
    auto started = supervisor_->start_child(plugin_spec(name, std::move(*shared)));
    if (!started) return done(make_error(started.err().message));
    runtime::logger_for("plugin")->info("plugin_reloaded plugin={}", name);
    done({});
  });
  if (!r) done(r);
}

std::vector<plugin_status> plugin_manager::list() const {
  std::vector<plugin_status> out;
  for (const auto& name : wanted_) {
    if (auto s = status(name)) out.push_back(std::move(*s));
  }
  return out;
}

std::optional<plugin_status> plugin_manager::status(const std::string& name) const {
  auto rec = records_.find(name);
  const bool wanted = std::find(wanted_.begin(), wanted_.end(), name) != wanted_.end();
  if (rec == records_.end() && !wanted) return std::nullopt;
  plugin_status s;
  s.name = name;
  if (rec != records_.end()) {
    s.version = rec->second->version;
    s.file = rec->second->file;
    s.last_error = rec->second->last_error;
  }
  if (supervisor_) {
    for (const auto& child : supervisor_->state().children) {
      if (child.id != name) continue;
      s.restarts = child.children.empty() ? 0 : child.children.front().restarts;
      s.state = child.children.empty() ? child.status : child.children.front().status;
      if (!child.children.empty() && !child.children.front().last_error.empty())
        s.last_error = child.children.front().last_error;
      if (auto inst = instance(name); inst && s.state == "running") s.hooks = inst->hook_count();
      return s;
    }
  }
  s.state = wanted ? "failed" : "stopped";
  return s;
}

}  // namespace emqx_cpp::plugin
