// SPDX-License-Identifier: Apache-2.0
#include "broker/providers.hpp"

#include <cstddef>
#include <future>

#include "broker/session_codec.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/property_codec.hpp"
#include "runtime/log.hpp"

namespace emqx_cpp::broker {

// ---- provider_calls ------------------------------------------------------------------

std::uint64_t provider_calls::arm(const void* owner, done_fn done) {
  std::lock_guard lock(mutex_);
  const std::uint64_t token = next_++;
  waiting_.emplace(token, armed{owner, std::move(done)});
  return token;
}

ecp_status provider_calls::complete(const void* owner, std::uint64_t token, ecp_status status,
                                    std::string_view data) {
  done_fn done;
  {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(token);
    if (it == waiting_.end()) return ECP_ERR_NOT_FOUND;
    if (it->second.owner != owner) return ECP_ERR_INVALID_ARGUMENT;
    done = std::move(it->second.done);
    waiting_.erase(it);
  }
  done(status, std::string(data));
  return ECP_OK;
}

std::size_t provider_calls::abandon(const void* owner) {
  std::vector<done_fn> orphans;
  {
    std::lock_guard lock(mutex_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.owner == owner) {
        orphans.push_back(std::move(it->second.done));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& done : orphans)
    done(ECP_ERR_WRONG_STATE, {});
  return orphans.size();
}

// ---- provider_base -------------------------------------------------------------------

provider_base::provider_base(const plugin::hook_owner* owner, provider_calls& calls,
                             const char* thread_name)
    : owner_(owner), calls_(calls), thread_(thread_name) {}

bool provider_base::drain(std::chrono::milliseconds timeout) {
  auto passed = std::make_shared<std::promise<void>>();
  auto f = passed->get_future();
  run([passed] { passed->set_value(); });
  return f.wait_for(timeout) == std::future_status::ready;
}

// ---- session_store_provider -----------------------------------------------------------

namespace {
// The 1.0 part of each vtable, and where the 1.1 part ends.
constexpr std::size_t session_store_1_0 =
    offsetof(ecp_session_store_provider, on_delete) + sizeof(void*);
constexpr std::size_t retained_store_1_0 =
    offsetof(ecp_retained_store_provider, on_count) + sizeof(void*);
}  // namespace

session_store_provider::session_store_provider(const ecp_session_store_provider* vtable,
                                               void* state, const plugin::hook_owner* owner,
                                               provider_calls& calls)
    : provider_base(owner, calls, "session-store"),
      vtable_(vtable),
      state_(state),
      async_(ECP_HAS_MEMBER(ecp_session_store_provider, vtable, on_list) &&
             vtable->on_load_async != nullptr) {}

bool session_store_provider::valid(const ecp_session_store_provider* v) {
  if (v->size < session_store_1_0) return false;
  const bool sync = v->on_save != nullptr && v->on_load != nullptr && v->on_delete != nullptr;
  if (!ECP_HAS_MEMBER(ecp_session_store_provider, v, on_list)) return sync;
  const bool async =
      v->on_load_async != nullptr && v->on_save_async != nullptr && v->on_delete_async != nullptr;
  return sync || async;
}

bool session_store_provider::takes_changes() const {
  return ECP_HAS_MEMBER(ecp_session_store_provider, vtable_, on_list) &&
         vtable_->on_apply != nullptr;
}

bool session_store_provider::lists() const {
  return ECP_HAS_MEMBER(ecp_session_store_provider, vtable_, on_list) &&
         vtable_->on_list != nullptr;
}

void session_store_provider::load(std::string client_id,
                                  std::function<void(std::optional<std::string>)> done) {
  run([this, id = std::move(client_id), done = std::move(done)]() mutable {
    if (!accepting()) return done(std::nullopt);
    if (async_) {
      const auto token = calls_.arm(owner_, [done](ecp_status st, std::string data) {
        done(st == ECP_OK ? std::optional<std::string>(std::move(data)) : std::nullopt);
      });
      if (const auto st = vtable_->on_load_async(state_, id.c_str(), token); st != ECP_OK)
        calls_.complete(owner_, token, st, {});
      return;
    }
    std::string buffer;
    auto alloc = [](void* ctx, std::size_t len) -> void* {
      auto* b = static_cast<std::string*>(ctx);
      b->resize(len);
      return b->data();
    };
    void* blob = nullptr;
    std::size_t len = 0;
    if (vtable_->on_load(state_, id.c_str(), alloc, &buffer, &blob, &len) != ECP_OK)
      return done(std::nullopt);
    buffer.resize(std::min(len, buffer.size()));
    done(std::move(buffer));
  });
}

void session_store_provider::save(std::string client_id, std::string blob,
                                  std::uint32_t expiry_interval_s) {
  run([this, id = std::move(client_id), blob = std::move(blob), expiry_interval_s] {
    if (!accepting()) return;
    ecp_status st = ECP_OK;
    if (async_) {
      const auto token = calls_.arm(owner_, [id](ecp_status s, const std::string&) {
        if (s != ECP_OK)
          runtime::logger_for("broker")->warn("session_save_failed client={} status={}", id, s);
      });
      st = vtable_->on_save_async(state_, id.c_str(), blob.data(), blob.size(), expiry_interval_s,
                                  token);
      if (st != ECP_OK) calls_.complete(owner_, token, st, {});
      return;
    }
    st = vtable_->on_save(state_, id.c_str(), blob.data(), blob.size(), expiry_interval_s);
    if (st != ECP_OK)
      runtime::logger_for("broker")->warn("session_save_failed client={} status={}", id, st);
  });
}

void session_store_provider::erase(std::string client_id) {
  run([this, id = std::move(client_id)] {
    if (!accepting()) return;
    if (async_) {
      const auto token = calls_.arm(owner_, [](ecp_status, const std::string&) {});
      if (const auto st = vtable_->on_delete_async(state_, id.c_str(), token); st != ECP_OK)
        calls_.complete(owner_, token, st, {});
      return;
    }
    vtable_->on_delete(state_, id.c_str());
  });
}

void session_store_provider::apply(std::vector<ecp_session_change> changes,
                                   std::shared_ptr<void> storage, std::function<void(bool)> done) {
  run([this, changes = std::move(changes), storage = std::move(storage),
       done = std::move(done)]() mutable {
    if (!accepting() || !takes_changes()) return done(false);
    // `storage` keeps the strings the changes point into alive until the answer.
    const auto token = calls_.arm(
        owner_, [done, storage](ecp_status st, const std::string&) { done(st == ECP_OK); });
    if (const auto st = vtable_->on_apply(state_, changes.data(), changes.size(), token);
        st != ECP_OK)
      calls_.complete(owner_, token, st, {});
  });
}

void session_store_provider::list(
    const std::function<void(std::string_view, std::string_view)>& each,
    std::chrono::milliseconds timeout) {
  if (!lists()) return;
  struct listing {
    std::vector<std::pair<std::string, std::string>> found;
  };
  auto result = std::make_shared<std::promise<listing>>();
  auto f = result->get_future();
  run([this, result] {
    listing l;
    if (accepting()) {
      vtable_->on_list(
          state_,
          [](void* ctx, const char* id, const void* blob, std::size_t len) {
            if (id == nullptr || (blob == nullptr && len != 0)) return;
            static_cast<listing*>(ctx)->found.emplace_back(
                id, std::string(static_cast<const char*>(blob), len));
          },
          &l);
    }
    result->set_value(std::move(l));
  });
  if (f.wait_for(timeout) != std::future_status::ready) {
    runtime::logger_for("broker")->warn("session_store_list_timeout timeout_ms={}",
                                        timeout.count());
    return;
  }
  for (const auto& [id, blob] : f.get().found)
    each(id, blob);
}

// ---- retained_store_provider ----------------------------------------------------------

namespace {
message_ptr from_provider(const ecp_retained_message& r) {
  auto m = std::make_shared<message>();
  m->topic.assign(r.topic, r.topic_len);
  m->payload.assign(static_cast<const char*>(r.payload), r.payload_len);
  m->qos = r.qos;
  m->retain = true;
  m->expires_at = from_wall_ms(r.expires_at_ms);
  if (r.properties != nullptr && r.properties_len != 0) {
    // Stored as a property block body; decode it with a length prefix in front.
    mqtt::bytes block;
    mqtt::put_varint(block, static_cast<std::uint32_t>(r.properties_len));
    block.append(static_cast<const char*>(r.properties), r.properties_len);
    mqtt::wire_reader reader(
        std::span(reinterpret_cast<const std::uint8_t*>(block.data()), block.size()));
    auto props = std::make_shared<mqtt::properties>();
    if (mqtt::decode_properties(reader, mqtt::property_context::publish, false, *props))
      m->props = std::move(props);
  }
  return m;
}
}  // namespace

retained_store_provider::retained_store_provider(const ecp_retained_store_provider* vtable,
                                                 void* state, const plugin::hook_owner* owner,
                                                 provider_calls& calls)
    : provider_base(owner, calls, "retained-store"), vtable_(vtable), state_(state) {
  run([this] { refresh_count(); });
}

bool retained_store_provider::valid(const ecp_retained_store_provider* v) {
  return v->size >= retained_store_1_0 && v->on_store != nullptr && v->on_delete != nullptr &&
         v->on_match != nullptr && v->on_count != nullptr;
}

void retained_store_provider::refresh_count() {
  if (accepting()) count_.store(vtable_->on_count(state_), std::memory_order_relaxed);
}

retained_store::store_result retained_store_provider::store(const message_ptr& m) {
  // The message is immutable and shared: the provider's thread reads it as it is.
  run([this, m] {
    if (!accepting()) return;
    if (m->payload.empty()) {
      vtable_->on_delete(state_, m->topic.data(), m->topic.size());
    } else {
      mqtt::bytes props;
      if (m->props) mqtt::encode_property_body(*m->props, props);
      ecp_retained_message r{};
      r.size = sizeof(r);
      r.topic = m->topic.data();
      r.topic_len = m->topic.size();
      r.payload = m->payload.data();
      r.payload_len = m->payload.size();
      r.qos = m->qos;
      r.expires_at_ms = to_wall_ms(m->expires_at);
      r.properties = props.empty() ? nullptr : props.data();
      r.properties_len = props.size();
      if (vtable_->on_store(state_, &r) != ECP_OK)
        runtime::logger_for("broker")->warn("retained_store_refused topic={}", m->topic);
    }
    refresh_count();
  });
  return m->payload.empty() ? store_result::cleared : store_result::stored;
}

std::vector<message_ptr> retained_store_provider::match(std::string_view filter,
                                                        steady_clock::time_point /*now*/) const {
  // Only for callers off the I/O workers: it waits for the provider's thread.
  std::vector<message_ptr> out;
  auto done = std::make_shared<std::promise<std::vector<message_ptr>>>();
  auto f = done->get_future();
  const_cast<retained_store_provider*>(this)->match_async(
      {std::string(filter)}, [done](std::vector<std::vector<message_ptr>> found) {
        done->set_value(std::move(found[0]));
      });
  return f.get();
}

void retained_store_provider::match_async(std::vector<std::string> filters, match_done done) {
  run([this, filters = std::move(filters), done = std::move(done)] {
    std::vector<std::vector<message_ptr>> out(filters.size());
    if (accepting()) {
      for (std::size_t i = 0; i < filters.size(); ++i) {
        vtable_->on_match(
            state_, filters[i].data(), filters[i].size(), wall_clock_ms(),
            [](void* ctx, const ecp_retained_message* r) {
              static_cast<std::vector<message_ptr>*>(ctx)->push_back(from_provider(*r));
              return 0;
            },
            &out[i]);
      }
    }
    done(std::move(out));
  });
}

}  // namespace emqx_cpp::broker
