// SPDX-License-Identifier: Apache-2.0
#include "runtime/supervisor.hpp"

#include <algorithm>
#include <stdexcept>

namespace emqx_cpp::runtime {

struct supervisor::child_record {
  child_spec spec;
  std::any args;
  std::shared_ptr<process> proc;
  child_status status = child_status::stopped;
  std::uint64_t generation = 0;  // bumped whenever an instance ends, so late exits are ignored
  int restarts = 0;
  int attempt = 0;  // consecutive restarts, for the backoff
  std::string last_error;
  steady_time started_at{};
  timer_id health_timer = 0;
  timer_id shutdown_timer = 0;
  timer_id restart_timer = 0;
  int health_failures = 0;
  std::function<void()> on_stopped;
};

struct supervisor::deferred_exit {
  std::string id;
  exit_reason reason;
};

const char* supervisor::name_of(child_status s) {
  switch (s) {
    case child_status::running:
      return "running";
    case child_status::stopping:
      return "stopping";
    case child_status::stopped:
      return "stopped";
    case child_status::restarting:
      return "restarting";
  }
  return "unknown";
}

namespace {
const char* type_name(child_type t) {
  return t == child_type::worker ? "worker" : "supervisor";
}
}  // namespace

const char* to_string(strategy s) {
  switch (s) {
    case strategy::one_for_one:
      return "one_for_one";
    case strategy::one_for_all:
      return "one_for_all";
    case strategy::rest_for_one:
      return "rest_for_one";
    case strategy::simple_one_for_one:
      return "simple_one_for_one";
  }
  return "unknown";
}

supervisor::supervisor(std::string id, executor& exec, const supervisor_flags& flags,
                       metrics_registry* metrics)
    : id_(std::move(id)),
      exec_(exec),
      flags_(flags),
      metrics_(metrics),
      log_(logger_for("runtime")),
      rng_(flags.seed != 0 ? flags.seed : std::random_device{}()) {}

std::shared_ptr<supervisor> supervisor::create(std::string id, executor& exec,
                                               supervisor_flags flags,
                                               std::vector<child_spec> children,
                                               metrics_registry* metrics) {
  if (flags.strat == strategy::simple_one_for_one && children.size() != 1)
    throw std::invalid_argument("simple_one_for_one needs exactly one child spec (the template)");
  auto sup = std::make_shared<supervisor>(std::move(id), exec, flags, metrics);
  for (auto& spec : children) {
    if (sup->find(spec.id) != nullptr)
      throw std::invalid_argument("duplicate child id " + spec.id + " in supervisor " + sup->id_);
    auto rec = std::make_unique<child_record>();
    rec->spec = std::move(spec);
    sup->children_.push_back(std::move(rec));
  }
  return sup;
}

child_spec supervisor::as_child(const std::string& id, executor& exec, supervisor_flags flags,
                                std::function<std::vector<child_spec>()> children,
                                metrics_registry* metrics) {
  child_spec spec;
  spec.id = id;
  spec.type = child_type::supervisor;
  spec.shutdown = shutdown_policy::infinity();
  spec.start = [id, &exec, flags, children = std::move(children),
                metrics](const std::any&) -> std::shared_ptr<process> {
    auto sup = create(id, exec, flags, children(), metrics);
    if (auto r = sup->start(); !r) throw std::runtime_error(r.err().message);
    return sup;
  };
  return spec;
}

supervisor::child_record* supervisor::find(const std::string& id) const {
  for (const auto& c : children_)
    if (c->spec.id == id) return c.get();
  return nullptr;
}

std::size_t supervisor::index_of(const child_record& rec) const {
  for (std::size_t i = 0; i < children_.size(); ++i)
    if (children_[i].get() == &rec) return i;
  return children_.size();
}

std::shared_ptr<process> supervisor::child(const std::string& id) const {
  const auto* rec = find(id);
  return rec != nullptr ? rec->proc : nullptr;
}

result<void> supervisor::start() {
  status_ = "running";
  if (flags_.strat == strategy::simple_one_for_one) return {};
  for (auto& rec : children_) {
    if (start_one(*rec)) continue;
    const std::string why = "child " + rec->spec.id + " of " + id_ + ": " + rec->last_error;
    log_->error("start_failed supervisor={} child={} reason=\"{}\"", id_, rec->spec.id,
                rec->last_error);
    status_ = "failed";
    last_error_ = why;
    stop_all_then([] {});
    return make_error(why);
  }
  return {};
}

bool supervisor::start_one(child_record& rec) {
  std::shared_ptr<process> proc;
  std::string why = "start function returned no process";
  try {
    proc = rec.spec.start(rec.args);
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown exception";
  }
  if (!proc) {
    rec.status = child_status::stopped;
    rec.last_error = "start failed: " + why;
    return false;
  }
  rec.proc = std::move(proc);
  rec.status = child_status::running;
  rec.started_at = exec_.now();
  rec.health_failures = 0;
  rec.proc->set_exit_callback([self = weak_from_this(), ex = &exec_, id = rec.spec.id,
                               gen = rec.generation](const exit_reason& reason) {
    ex->post([self, id, gen, reason] {
      if (auto s = self.lock()) s->on_child_exit(id, gen, reason);
    });
  });
  arm_health(rec);
  log_->debug("started supervisor={} child={}", id_, rec.spec.id);
  return true;
}

void supervisor::on_child_exit(const std::string& id, std::uint64_t generation,
                               const exit_reason& reason) {
  child_record* rec = find(id);
  if (rec == nullptr || rec->generation != generation) return;  // an instance we already let go
  if (rec->status == child_status::stopping) {
    complete_stop(*rec);
    return;
  }
  if (rec->status != child_status::running) return;
  handle_exit(*rec, reason);
}

void supervisor::handle_exit(child_record& rec, exit_reason reason) {
  exec_.cancel(rec.health_timer);
  rec.health_timer = 0;
  rec.proc.reset();
  rec.generation++;
  rec.status = child_status::stopped;
  if (!reason.is_orderly()) rec.last_error = reason.to_string();
  if (stopping_all_) return;
  if (!group_.empty()) {
    // A sibling stop is in progress. A member of that group is restarted with it; any
    // other child is dealt with once the group has stopped, as OTP's synchronous
    // supervisor would.
    if (std::find(group_.begin(), group_.end(), rec.spec.id) != group_.end()) {
      rec.status = child_status::restarting;
      return;
    }
    deferred_.push_back({rec.spec.id, std::move(reason)});
    return;
  }
  decide(rec, reason);
}

void supervisor::log_exit(const child_record& rec, const exit_reason& reason) const {
  if (reason.is_orderly())
    log_->info("exit supervisor={} child={} reason={}", id_, rec.spec.id, reason.to_string());
  else
    log_->warn("exit supervisor={} child={} reason=\"{}\" restart=none", id_, rec.spec.id,
               reason.to_string());
}

void supervisor::decide(child_record& rec, const exit_reason& reason) {
  const bool restart = rec.spec.restart == restart_type::permanent ||
                       (rec.spec.restart == restart_type::transient && !reason.is_orderly());
  if (!restart) {
    log_exit(rec, reason);
    if (rec.spec.restart == restart_type::temporary || flags_.strat == strategy::simple_one_for_one)
      erase(rec.spec.id);
    return;
  }
  if (!note_restart()) {
    escalate(rec, reason);
    return;
  }
  // A child that stayed up for a whole period starts its backoff from the beginning.
  if (rec.attempt > 0 && exec_.now() - rec.started_at >= flags_.period) rec.attempt = 0;
  rec.attempt++;
  rec.restarts++;
  restarts_++;
  const duration delay = flags_.backoff.delay(rec.attempt, rng_);
  if (metrics_ != nullptr)
    metrics_
        ->counter("emqx_cpp_process_restarts_total", {{"child", rec.spec.id}},
                  "Restarts of supervised processes")
        .inc();
  log_->warn("restart supervisor={} child={} reason=\"{}\" attempt={} delay_ms={} strategy={}", id_,
             rec.spec.id, reason.to_string(), rec.attempt, to_ms(delay), to_string(flags_.strat));
  switch (flags_.strat) {
    case strategy::one_for_one:
    case strategy::simple_one_for_one:
      rec.status = child_status::restarting;
      schedule_start(rec, delay, false);
      break;
    case strategy::one_for_all:
      restart_from(0, delay);
      break;
    case strategy::rest_for_one:
      restart_from(index_of(rec), delay);
      break;
  }
}

bool supervisor::note_restart() {
  const steady_time now = exec_.now();
  restart_times_.push_back(now);
  while (!restart_times_.empty() && now - restart_times_.front() > flags_.period)
    restart_times_.pop_front();
  return static_cast<int>(restart_times_.size()) <= flags_.intensity;
}

void supervisor::restart_from(std::size_t index, duration delay) {
  std::vector<std::string> members;  // the group, in start order
  std::vector<std::string> to_stop;  // its running members, in reverse start order
  for (std::size_t i = index; i < children_.size(); ++i) {
    auto& rec = *children_[i];
    exec_.cancel(rec.restart_timer);
    rec.restart_timer = 0;
    members.push_back(rec.spec.id);
    if (rec.status == child_status::running) to_stop.insert(to_stop.begin(), rec.spec.id);
  }
  group_ = members;
  stop_sequence(std::move(to_stop), [self = weak_from_this(), members, delay] {
    auto s = self.lock();
    if (!s) return;
    s->group_.clear();
    child_record* lead = nullptr;
    for (const auto& id : members) {
      child_record* rec = s->find(id);
      if (rec == nullptr) continue;
      // Temporary children are never restarted, not even with their siblings.
      if (rec->spec.restart == restart_type::temporary) {
        s->erase(id);
        continue;
      }
      rec->status = child_status::restarting;
      if (lead == nullptr) lead = rec;
    }
    if (lead != nullptr) s->schedule_start(*lead, delay, true);
    auto deferred = std::move(s->deferred_);
    s->deferred_.clear();
    for (auto& d : deferred)
      if (auto* rec = s->find(d.id)) s->decide(*rec, d.reason);
  });
}

void supervisor::schedule_start(child_record& rec, duration delay, bool whole_tail) {
  exec_.cancel(rec.restart_timer);
  rec.restart_timer =
      exec_.schedule(delay, [self = weak_from_this(), id = rec.spec.id, whole_tail] {
        if (auto s = self.lock()) s->start_restarting_from(id, whole_tail);
      });
}

void supervisor::start_restarting_from(const std::string& id, bool whole_tail) {
  child_record* first = find(id);
  if (first == nullptr || stopping_all_) return;
  first->restart_timer = 0;
  const std::size_t from = index_of(*first);
  const std::size_t to = whole_tail ? children_.size() : from + 1;
  for (std::size_t i = from; i < to && i < children_.size(); ++i) {
    auto& rec = *children_[i];
    if (rec.status != child_status::restarting) continue;
    if (start_one(rec)) continue;
    log_->warn("restart_failed supervisor={} child={} reason=\"{}\"", id_, rec.spec.id,
               rec.last_error);
    decide(rec, exit_reason::error(rec.last_error));
    return;
  }
}

void supervisor::stop_child(child_record& rec, std::function<void()> then) {
  exec_.cancel(rec.health_timer);
  rec.health_timer = 0;
  exec_.cancel(rec.restart_timer);
  rec.restart_timer = 0;
  if (!rec.proc) {
    rec.status = child_status::stopped;
    if (then) then();
    return;
  }
  rec.status = child_status::stopping;
  rec.on_stopped = std::move(then);
  switch (rec.spec.shutdown.what) {
    case shutdown_policy::kind::brutal_kill:
      rec.proc->kill();
      complete_stop(rec);
      return;
    case shutdown_policy::kind::timeout:
      rec.shutdown_timer = exec_.schedule(
          rec.spec.shutdown.timeout,
          [self = weak_from_this(), id = rec.spec.id, gen = rec.generation] {
            auto s = self.lock();
            if (!s) return;
            child_record* r = s->find(id);
            if (r == nullptr || r->generation != gen || r->status != child_status::stopping) return;
            r->shutdown_timer = 0;
            s->log_->warn("shutdown_timeout supervisor={} child={} action=kill", s->id_, id);
            r->proc->kill();
            s->complete_stop(*r);
          });
      rec.proc->shutdown();
      return;
    case shutdown_policy::kind::infinity:
      rec.proc->shutdown();
      return;
  }
}

void supervisor::complete_stop(child_record& rec) {
  exec_.cancel(rec.shutdown_timer);
  rec.shutdown_timer = 0;
  rec.proc.reset();
  rec.generation++;
  rec.status = child_status::stopped;
  auto then = std::move(rec.on_stopped);
  rec.on_stopped = nullptr;
  if (then) then();
}

void supervisor::stop_sequence(std::vector<std::string> ids, std::function<void()> done) {
  while (!ids.empty()) {
    child_record* rec = find(ids.front());
    ids.erase(ids.begin());
    if (rec == nullptr || !rec->proc) continue;
    stop_child(*rec, [self = weak_from_this(), ids = std::move(ids), done]() mutable {
      if (auto s = self.lock()) s->stop_sequence(std::move(ids), std::move(done));
    });
    return;
  }
  if (done) done();
}

void supervisor::stop_all_then(std::function<void()> done) {
  stopping_all_ = true;
  std::vector<std::string> ids;
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    auto& rec = **it;
    exec_.cancel(rec.restart_timer);
    rec.restart_timer = 0;
    if (rec.status == child_status::restarting) rec.status = child_status::stopped;
    ids.push_back(rec.spec.id);
  }
  stop_sequence(std::move(ids), std::move(done));
}

void supervisor::escalate(const child_record& rec, const exit_reason& reason) {
  last_error_ = "reached_max_restart_intensity: child " + rec.spec.id + ": " + reason.to_string();
  log_->error(
      "escalate supervisor={} child={} reason=\"{}\" intensity={} period_ms={} "
      "action=shutdown",
      id_, rec.spec.id, reason.to_string(), flags_.intensity, to_ms(flags_.period));
  status_ = "failed";
  stop_all_then([self = weak_from_this()] {
    if (auto s = self.lock()) s->notify_exit(exit_reason::error(s->last_error_));
  });
}

void supervisor::arm_health(child_record& rec) {
  if (rec.spec.health.interval <= duration::zero()) return;
  rec.health_timer = exec_.schedule(
      rec.spec.health.interval, [self = weak_from_this(), id = rec.spec.id, gen = rec.generation] {
        if (auto s = self.lock()) s->check_health(id, gen);
      });
}

void supervisor::check_health(const std::string& id, std::uint64_t generation) {
  child_record* rec = find(id);
  if (rec == nullptr || rec->generation != generation || rec->status != child_status::running)
    return;
  rec->health_timer = 0;
  std::optional<bool> healthy;
  try {
    healthy = rec->proc->probe_health();
  } catch (...) {
    healthy = false;  // a probe that throws reports a failure, never a crash of ours
  }
  if (healthy.value_or(true)) {
    rec->health_failures = 0;
    arm_health(*rec);
    return;
  }
  rec->health_failures++;
  log_->warn("health_check_failed supervisor={} child={} consecutive={} threshold={}", id_, id,
             rec->health_failures, rec->spec.health.failure_threshold);
  if (rec->health_failures < rec->spec.health.failure_threshold) {
    arm_health(*rec);
    return;
  }
  const exit_reason why = exit_reason::error(
      "health check failed " + std::to_string(rec->health_failures) + " times in a row");
  rec->last_error = why.to_string();
  stop_child(*rec, [self = weak_from_this(), id, why] {
    auto s = self.lock();
    if (!s || s->stopping_all_) return;
    if (auto* r = s->find(id)) s->decide(*r, why);
  });
}

void supervisor::erase(const std::string& id) {
  children_.erase(std::remove_if(children_.begin(), children_.end(),
                                 [&](const auto& c) { return c->spec.id == id; }),
                  children_.end());
}

result<std::string> supervisor::start_child(child_spec spec) {
  if (flags_.strat == strategy::simple_one_for_one)
    return make_error("simple_one_for_one takes start arguments, not a child spec");
  if (find(spec.id) != nullptr) return make_error("child " + spec.id + " already exists");
  auto rec = std::make_unique<child_record>();
  rec->spec = std::move(spec);
  auto& ref = *rec;
  children_.push_back(std::move(rec));
  if (!start_one(ref)) {
    std::string why = ref.last_error;
    erase(ref.spec.id);
    return make_error(why);
  }
  return ref.spec.id;
}

result<std::string> supervisor::start_child(std::any args) {
  if (flags_.strat != strategy::simple_one_for_one || children_.empty())
    return make_error("start arguments are only for simple_one_for_one supervisors");
  auto rec = std::make_unique<child_record>();
  rec->spec = children_.front()->spec;
  rec->spec.id = children_.front()->spec.id + "-" + std::to_string(next_dynamic_id_++);
  rec->args = std::move(args);
  auto& ref = *rec;
  children_.push_back(std::move(rec));
  if (!start_one(ref)) {
    std::string why = ref.last_error;
    erase(ref.spec.id);
    return make_error(why);
  }
  return ref.spec.id;
}

result<void> supervisor::terminate_child(const std::string& id, std::function<void()> done) {
  child_record* rec = find(id);
  if (rec == nullptr ||
      (flags_.strat == strategy::simple_one_for_one && rec == children_.front().get()))
    return make_error("no child " + id + " in " + id_);
  stop_child(*rec, [self = weak_from_this(), id, done = std::move(done)] {
    auto s = self.lock();
    if (s && s->flags_.strat == strategy::simple_one_for_one) s->erase(id);
    if (done) done();
  });
  return {};
}

result<void> supervisor::restart_child(const std::string& id) {
  child_record* rec = find(id);
  if (rec == nullptr) return make_error("no child " + id + " in " + id_);
  if (rec->status == child_status::running || rec->status == child_status::stopping)
    return make_error("child " + id + " is running");
  exec_.cancel(rec->restart_timer);
  rec->restart_timer = 0;
  if (!start_one(*rec)) return make_error(rec->last_error);
  return {};
}

result<void> supervisor::delete_child(const std::string& id) {
  child_record* rec = find(id);
  if (rec == nullptr) return make_error("no child " + id + " in " + id_);
  if (rec->status == child_status::running || rec->status == child_status::stopping)
    return make_error("child " + id + " is running");
  exec_.cancel(rec->restart_timer);
  erase(id);
  return {};
}

void supervisor::shutdown() {
  if (stopping_all_) return;
  status_ = "stopping";
  stop_all_then([self = weak_from_this()] {
    auto s = self.lock();
    if (!s) return;
    s->status_ = "stopped";
    s->notify_exit(exit_reason::shutdown());
  });
}

void supervisor::kill() {
  stopping_all_ = true;
  status_ = "stopped";
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    auto& rec = **it;
    exec_.cancel(rec.restart_timer);
    exec_.cancel(rec.health_timer);
    exec_.cancel(rec.shutdown_timer);
    rec.restart_timer = rec.health_timer = rec.shutdown_timer = 0;
    if (rec.proc) rec.proc->kill();
    rec.proc.reset();
    rec.generation++;
    rec.status = child_status::stopped;
  }
}

void supervisor::describe(process_state& into) const {
  into.strategy = to_string(flags_.strat);
  into.children.clear();
  for (const auto& c : children_) {
    process_state cs;
    cs.id = c->spec.id;
    cs.type = type_name(c->spec.type);
    cs.status = name_of(c->status);
    cs.restarts = c->restarts;
    cs.last_error = c->last_error;
    if (c->proc) c->proc->describe(cs);
    into.children.push_back(std::move(cs));
  }
}

process_state supervisor::state() const {
  process_state s;
  s.id = id_;
  s.type = "supervisor";
  s.status = status_;
  s.restarts = restarts_;
  s.last_error = last_error_;
  describe(s);
  return s;
}

}  // namespace emqx_cpp::runtime
