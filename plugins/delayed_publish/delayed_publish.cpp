// SPDX-License-Identifier: Apache-2.0
//
// delayed_publish: EMQX's delayed publish as a plugin. A message published to
// `$delayed/<N>/<topic>` is held and published to <topic>, with the same payload, QoS and
// retain flag, N seconds later (N > 42949670: at Unix time N). The original message is
// dropped in message.publish, so nobody sees the `$delayed/...` topic. A malformed one
// (N not a non-negative integer, no topic after it) is dropped too, as EMQX documents.
// Held messages live in memory and are lost when the plugin is unloaded; README.md says
// so, with the keys and the differences from EMQX.
#include <emqx_cpp/plugin.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emqx_cpp::plugins::delayed_publish_clock {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Unix time in milliseconds. Delays are kept in wall-clock time, as EMQX keeps them, so a
// timestamp N means that second whatever the clock did meanwhile. The unit tests, which
// compile this file in, point it at the fake host's manual clock; nothing else changes it.
std::atomic<std::int64_t (*)()> now_ms{&system_ms};

}  // namespace emqx_cpp::plugins::delayed_publish_clock

namespace {

using emqx_cpp::sdk::event_view;
using emqx_cpp::sdk::hook_result;
using namespace std::chrono_literals;

// Priority of EMQX's delayed publish (emqx_hooks.hrl HP_DELAY_PUB): after topic rewrite
// (980), so a rewrite into $delayed/... is delayed.
constexpr std::int32_t priority_delay_pub = 860;

constexpr std::string_view prefix = "$delayed/";

// EMQX's limit: an interval up to this many seconds is relative, a larger N is a Unix
// timestamp, and a timestamp further than this in the future is refused.
constexpr std::int64_t max_interval_s = 42949670;

// The one timer is never armed further out than this: the queue is ordered by wall-clock
// time while broker timers run on a monotonic clock, so a stepped clock is caught up with
// within a minute, at the cost of one wake-up a minute while messages wait.
constexpr std::int64_t max_timer_ms = 60'000;

// message.publish drops a message when a hook stops with any code but ECP_OK; the
// publisher is still acknowledged with success, as EMQX does for a delayed message.
constexpr ecp_status drop_code = ECP_RC_UNSPECIFIED_ERROR;

std::int64_t now_ms() {
  return emqx_cpp::plugins::delayed_publish_clock::now_ms.load(std::memory_order_relaxed)();
}

struct held_message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
};

// What `$delayed/<N>/<topic>` says, or why it says nothing usable.
struct parsed_topic {
  const char* error = nullptr;  // a dropped_total reason, or null
  std::uint64_t n = 0;
  std::string_view target;
};

parsed_topic parse(std::string_view topic) {
  parsed_topic p;
  const std::string_view rest = topic.substr(prefix.size());
  const std::size_t slash = rest.find('/');
  const std::string_view interval = rest.substr(0, slash);
  // Digits only: EMQX reads a signed integer, but a negative delay is no delay worth
  // honouring and "+5" is not what anyone meant to send.
  const bool digits = !interval.empty() && std::all_of(interval.begin(), interval.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
  const auto r = std::from_chars(interval.data(), interval.data() + interval.size(), p.n);
  if (!digits || r.ec != std::errc{}) {
    p.error = "invalid_interval";
    return p;
  }
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    p.error = "invalid_topic";  // "$delayed/5" or "$delayed/5/": nowhere to publish
    return p;
  }
  p.target = rest.substr(slash + 1);
  // The broker checked the whole topic, so only wildcards could make the target invalid,
  // and only a message that did not come through a PUBLISH could carry them.
  if (p.target.find_first_of("+#") != std::string_view::npos) p.error = "invalid_topic";
  return p;
}

class delayed_publish final : public emqx_cpp::sdk::plugin {
 public:
  ecp_status init() override {
    const std::int64_t max = host().config_int("max_delayed_messages").value_or(0);
    if (max < 0) {
      host().error("plugins.delayed_publish.max_delayed_messages: must be 0 or more");
      return ECP_ERR_INVALID_ARGUMENT;
    }
    max_ = static_cast<std::size_t>(max);
    if (on(ECP_HOOK_MESSAGE_PUBLISH, priority_delay_pub,
           [this](const event_view& e, ecp_hook_reply& reply) { return on_publish(e, reply); }) ==
        0) {
      host().error("cannot register the message.publish hook");
      return ECP_ERR_UNSUPPORTED;
    }
    host().gauge_set("pending", 0);
    host().info("delayed_publish ready, max_delayed_messages=" + std::to_string(max_) +
                (max_ == 0 ? " (unlimited)" : ""));
    return ECP_OK;
  }

  ecp_status stop() override {
    std::size_t lost = 0;
    {
      const std::lock_guard lock{mutex_};
      stopped_ = true;
      timer_.cancel();
      armed_ = false;
      lost = queue_.size();
      queue_.clear();
      host().gauge_set("pending", 0);
    }
    if (lost != 0) {
      host().warning(std::to_string(lost) +
                     " delayed messages were still waiting and are lost (they are kept in "
                     "memory only)");
      host().counter_add("dropped_total", lost, "reason=unloaded");
    }
    return ECP_OK;
  }

 private:
  // message.publish, on I/O workers, several at once: the queue is under mutex_.
  hook_result on_publish(const event_view& e, ecp_hook_reply& reply) {
    const auto m = e.message();
    if (!m) return hook_result::continue_chain;
    const std::string_view topic = m->topic();
    if (!topic.starts_with(prefix)) return hook_result::continue_chain;
    {
      const std::lock_guard lock{mutex_};
      // Stopping: let the message through as EMQX does with the feature disabled.
      if (stopped_) return hook_result::continue_chain;
    }
    const parsed_topic p = parse(topic);
    if (p.error != nullptr) return drop(reply, p.error, topic);

    const std::int64_t now = now_ms();
    std::int64_t due = 0;
    if (p.n <= static_cast<std::uint64_t>(max_interval_s)) {
      due = now + static_cast<std::int64_t>(p.n) * 1000;
    } else if (p.n > static_cast<std::uint64_t>(now / 1000 + max_interval_s)) {
      return drop(reply, "too_far", topic);  // EMQX refuses these too
    } else {
      due = static_cast<std::int64_t>(p.n) * 1000;  // a past timestamp is due now
    }

    held_message held{std::string{p.target}, std::string{m->payload_text()}, m->qos(), m->retain()};
    if (due <= now) {
      // N = 0, or a timestamp already past: publish it now, through the broker's hooks.
      host().counter_add("delayed_total");
      publish(held);
      return emqx_cpp::sdk::stop_with(reply, drop_code);
    }
    {
      const std::lock_guard lock{mutex_};
      if (stopped_) return hook_result::continue_chain;  // stop() ran since the check above
      if (max_ != 0 && queue_.size() >= max_) {
        const bool first = !full_;
        full_ = true;
        if (first) {
          host().warning("max_delayed_messages (" + std::to_string(max_) +
                         ") reached: delayed messages are dropped until some are published "
                         "(logged once each time the limit is reached)");
        }
        return drop(reply, "max_delayed_messages", topic);
      }
      full_ = false;
      queue_.emplace(due, std::move(held));  // after others due at the same time: FIFO
      if (!armed_ || due < armed_at_) arm_locked(now);
      // Set under the lock, so concurrent hooks cannot leave an older count behind.
      host().gauge_set("pending", static_cast<std::int64_t>(queue_.size()));
    }
    host().counter_add("delayed_total");
    return emqx_cpp::sdk::stop_with(reply, drop_code);
  }

  hook_result drop(ecp_hook_reply& reply, const char* reason, std::string_view topic) const {
    host().counter_add("dropped_total", 1, std::string{"reason="} + reason);
    host().debug("dropped \"" + std::string{topic} + "\": " + reason);
    return emqx_cpp::sdk::stop_with(reply, drop_code);
  }

  void publish(const held_message& h) const {
    const ecp_status st = host().publish(h.topic, h.payload, h.qos, h.retain);
    if (st == ECP_OK) {
      host().counter_add("published_total");
      return;
    }
    host().counter_add("dropped_total", 1, "reason=publish_failed");
    host().warning("publishing the delayed message to \"" + h.topic + "\" failed with status " +
                   std::to_string(st));
  }

  // Arms the one timer for the earliest message (or disarms it). Under mutex_.
  //
  // One timer for the whole queue, not one per message: the queue is ordered by due time
  // (as EMQX's ordered table is), so the next wake-up is its first entry, and a million
  // waiting messages cost the broker one timer instead of a million. A hook that queues a
  // message due earlier than the armed time re-arms it from its worker, which the host API
  // allows; the timer then runs on the control thread.
  void arm_locked(std::int64_t now) {
    if (queue_.empty()) {
      timer_.cancel();
      armed_ = false;
      return;
    }
    const std::int64_t delay =
        std::clamp<std::int64_t>(queue_.begin()->first - now, 0, max_timer_ms);
    timer_ = host().timer_start(std::chrono::milliseconds{delay}, 0ms, [this] { on_timer(); });
    armed_ = static_cast<bool>(timer_);
    armed_at_ = now + delay;
    if (!armed_) host().error("cannot start a timer: delayed messages wait until the next one");
  }

  // The control thread: publishes what is due, then re-arms for the rest.
  void on_timer() {
    std::vector<held_message> due;
    {
      const std::lock_guard lock{mutex_};
      armed_ = false;
      if (stopped_) return;
      const std::int64_t now = now_ms();
      while (!queue_.empty() && queue_.begin()->first <= now) {
        due.push_back(std::move(queue_.begin()->second));
        queue_.erase(queue_.begin());
      }
      arm_locked(now);
      host().gauge_set("pending", static_cast<std::int64_t>(queue_.size()));
    }
    for (const auto& h : due)
      publish(h);
  }

  std::size_t max_ = 0;  // 0: unlimited

  std::mutex mutex_;                                 // guards everything below
  std::multimap<std::int64_t, held_message> queue_;  // by due time, Unix ms
  emqx_cpp::sdk::timer timer_;
  bool armed_ = false;
  std::int64_t armed_at_ = 0;  // when the armed timer fires, Unix ms
  bool full_ = false;          // the last message found the queue full (warned once)
  bool stopped_ = false;
};

}  // namespace

EMQX_CPP_PLUGIN(delayed_publish, "delayed_publish", "1.0.0",
                "Publishes messages sent to $delayed/<seconds>/<topic> after the delay, as EMQX "
                "does")
