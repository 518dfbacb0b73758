// SPDX-License-Identifier: Apache-2.0
//
// An actor: private state, a bounded mailbox and a handler run on one executor. Messages
// are handled one at a time in arrival order; an exception escaping the handler is a
// crash, reported to the supervisor as the actor's exit. Senders on other threads cost
// one executor wake-up per batch, not per message: a drain is posted only when none is
// already pending.
//
// Selective receive (Erlang's `receive ... after`): while a receive is pending, only
// messages matching its predicate are taken; the rest wait in order until it completes
// or times out.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runtime/executor.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/metrics.hpp"
#include "runtime/process.hpp"

namespace emqx_cpp::runtime {

template <class Msg>
class actor : public process, public std::enable_shared_from_this<actor<Msg>> {
 public:
  // Messages handled per drain before yielding the executor to other work.
  static constexpr int drain_budget = 64;

  actor(std::string name, executor& exec, std::size_t mailbox_capacity,
        metrics_registry* metrics = nullptr)
      : name_(std::move(name)),
        exec_(exec),
        mailbox_(mailbox_capacity),
        depth_(metrics != nullptr ? &metrics->gauge("emqx_cpp_mailbox_depth", {{"actor", name_}},
                                                    "Messages waiting in an actor's mailbox")
                                  : nullptr) {}

  const std::string& name() const { return name_; }
  executor& exec() const { return exec_; }
  std::size_t mailbox_depth() const { return mailbox_.size(); }
  bool alive() const { return !dead_.load(std::memory_order_acquire); }

  // Safe from any thread. `full` and `closed` are returned, never hidden.
  send_status send(Msg msg) {
    bool was_empty = false;
    const send_status st = mailbox_.push(std::move(msg), &was_empty);
    if (st != send_status::ok) return st;
    record_depth();
    schedule_drain();
    return st;
  }

  void shutdown() override {
    exec_.post([self = this->shared_from_this()] {
      if (!self->alive()) return;
      self->finish(exit_reason::shutdown(), true);
    });
  }

  void kill() override {
    dead_.store(true, std::memory_order_release);
    mailbox_.close();
    record_depth();
  }

 protected:
  // Handles one message on the actor's executor. Throwing crashes the actor.
  virtual void handle(Msg& msg) = 0;

  // Runs on the executor when the actor stops in order (shutdown or exit()).
  virtual void on_stop() {}

  // Waits for the first message matching `pred`; `on_result` gets it, or std::nullopt
  // after `timeout`. Call on the actor's executor (from handle() or a task it posted).
  void receive(std::function<bool(const Msg&)> pred, duration timeout,
               std::function<void(std::optional<Msg>)> on_result) {
    pending_ = selective{std::move(pred), std::move(on_result), 0};
    const std::uint64_t token = ++receive_token_;
    pending_->timer = exec_.schedule(timeout, [self = this->shared_from_this(), token] {
      auto* me = static_cast<actor*>(self.get());
      if (!me->pending_ || me->receive_token_ != token) return;
      auto cb = std::move(me->pending_->on_result);
      me->pending_.reset();
      me->run_guarded([&] { cb(std::nullopt); });
      me->schedule_drain();
    });
    schedule_drain();
  }

  // Ends the actor from inside its own handler.
  void exit(exit_reason reason) {
    const bool orderly = reason.is_orderly();
    finish(std::move(reason), orderly);
  }

 private:
  struct selective {
    std::function<bool(const Msg&)> pred;
    std::function<void(std::optional<Msg>)> on_result;
    timer_id timer;
  };

  void record_depth() {
    if (depth_ != nullptr) depth_->set(static_cast<std::int64_t>(mailbox_.size()));
  }

  void schedule_drain() {
    if (drain_scheduled_.exchange(true, std::memory_order_acq_rel)) return;
    exec_.post([self = this->shared_from_this()] { static_cast<actor*>(self.get())->drain(); });
  }

  void drain() {
    drain_scheduled_.store(false, std::memory_order_release);
    for (int i = 0; i < drain_budget && alive(); ++i) {
      std::optional<Msg> msg;
      if (pending_) {
        msg = mailbox_.take_first(pending_->pred);
        if (!msg) break;  // the rest waits for a match or the timeout
        exec_.cancel(pending_->timer);
        auto cb = std::move(pending_->on_result);
        pending_.reset();
        record_depth();
        run_guarded([&] { cb(std::move(msg)); });
        continue;
      }
      msg = mailbox_.pop();
      if (!msg) break;
      record_depth();
      run_guarded([&] { handle(*msg); });
    }
    // A message may have arrived after the last pop but before the flag was cleared.
    if (alive() && mailbox_.size() > 0 && (!pending_ || has_match())) schedule_drain();
  }

  bool has_match() {
    // Cheap enough: selective receive is for control flows, not the data path.
    bool found = false;
    mailbox_.take_first([&](const Msg& m) {
      if (pending_->pred(m)) found = true;
      return false;
    });
    return found;
  }

  template <class F>
  void run_guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      finish(exit_reason::error(e.what()), false);
    } catch (...) {
      finish(exit_reason::error("unknown exception"), false);
    }
  }

  void finish(exit_reason reason, bool orderly) {
    if (dead_.exchange(true, std::memory_order_acq_rel)) return;
    if (pending_) {
      exec_.cancel(pending_->timer);
      pending_.reset();
    }
    if (orderly) {
      try {
        on_stop();
      } catch (...) {  // an exit is already under way; a failing cleanup must not hide it
      }
    }
    mailbox_.close();
    record_depth();
    notify_exit(std::move(reason));
  }

  const std::string name_;
  executor& exec_;
  mailbox<Msg> mailbox_;
  gauge_metric* depth_;
  std::atomic<bool> drain_scheduled_{false};
  std::atomic<bool> dead_{false};
  std::optional<selective> pending_;
  std::uint64_t receive_token_ = 0;
};

}  // namespace emqx_cpp::runtime
