// SPDX-License-Identifier: Apache-2.0
//
// Providers coming and going. A session store that registers lists what it holds: each
// stored session whose client is away becomes a session on its worker again, with its
// subscriptions routed, its expiry and its delayed will, so messages published before
// its client returns are queued for it; what it had in flight and queued stays in the
// store until the client comes back. A provider that goes is swapped for the in-memory
// default first, then the workers pass a loop iteration (none can be inside it), then
// its thread runs dry, then it is destroyed.
#include "broker/broker.hpp"
#include "broker/session_codec.hpp"
#include "broker/worker.hpp"
#include "runtime/log.hpp"

namespace emqx_cpp::broker {

ecp_status broker::register_provider(const plugin::hook_owner* owner, ecp_provider_kind kind,
                                     const void* vtable, void* provider_state) {
  std::unique_lock lock(providers_mutex_);
  for (const auto& p : providers_)
    if (p.kind == kind) return ECP_ERR_BUSY;  // one provider of a kind at a time
  switch (kind) {
    case ECP_PROVIDER_RETAINED_STORE: {
      const auto* v = static_cast<const ecp_retained_store_provider*>(vtable);
      if (!retained_store_provider::valid(v)) return ECP_ERR_INVALID_ARGUMENT;
      auto store =
          std::make_unique<retained_store_provider>(v, provider_state, owner, calls_for_providers_);
      retained_.store(store.get(), std::memory_order_release);
      provider p;
      p.owner = owner;
      p.kind = kind;
      p.retained = std::move(store);
      providers_.push_back(std::move(p));
      return ECP_OK;
    }
    case ECP_PROVIDER_SESSION_STORE: {
      const auto* v = static_cast<const ecp_session_store_provider*>(vtable);
      if (!session_store_provider::valid(v)) return ECP_ERR_INVALID_ARGUMENT;
      auto store =
          std::make_unique<session_store_provider>(v, provider_state, owner, calls_for_providers_);
      auto* raw = store.get();
      provider p;
      p.owner = owner;
      p.kind = kind;
      p.sessions = std::move(store);
      providers_.push_back(std::move(p));
      sessions_.store(raw, std::memory_order_release);
      lock.unlock();
      restore_stored_sessions(*raw);
      return ECP_OK;
    }
    case ECP_PROVIDER_CLUSTER_TRANSPORT: {
      const auto* v = static_cast<const ecp_cluster_transport_provider*>(vtable);
      if (!cluster_transport_provider::valid(v)) return ECP_ERR_INVALID_ARGUMENT;
      provider p;
      p.owner = owner;
      p.kind = kind;
      p.cluster = std::make_unique<cluster_transport_provider>(v, provider_state, owner,
                                                               calls_for_providers_);
      cluster_.store(p.cluster.get(), std::memory_order_release);
      providers_.push_back(std::move(p));
      return ECP_OK;
    }
  }
  return ECP_ERR_INVALID_ARGUMENT;
}

void broker::restore_stored_sessions(session_store_provider& store) {
  if (!running_ || !store.lists()) return;
  auto log = runtime::logger_for("broker");
  std::vector<std::vector<stored_session>> by_worker(workers_.size());
  std::size_t found = 0;
  std::vector<std::string> unreadable;
  const std::uint64_t now = wall_clock_ms();
  store.list(
      [&](std::string_view id, std::string_view blob) {
        std::string why;
        auto s = decode_session(blob, &why);
        if (!s || s->client_id != id) {
          log->warn("stored_session_unreadable client={} reason=\"{}\"", id,
                    s ? "it names another client" : why);
          unreadable.emplace_back(id);
          return;
        }
        if (s->expired(now)) {
          unreadable.emplace_back(id);  // expired while nobody had it: forget it
          return;
        }
        ++found;
        by_worker[owner_of(s->client_id)].push_back(std::move(*s));
      },
      std::chrono::milliseconds(cfg_.plugins.hook_timeout_ms));
  for (const auto& id : unreadable)
    store.erase(id);
  if (found == 0) return;
  // Each worker takes its own sessions back; this waits until all have.
  std::vector<std::shared_ptr<std::vector<stored_session>>> parts;
  for (auto& part : by_worker)
    parts.push_back(std::make_shared<std::vector<stored_session>>(std::move(part)));
  on_every_worker([&parts](worker& w) {
    for (auto& s : *parts[w.index()])
      w.restore_session(std::move(s));
  });
  log->info("sessions_restored count={} from=session_store", found);
}

void broker::unregister_providers(const plugin::hook_owner* owner) {
  std::vector<provider> gone;
  {
    std::lock_guard lock(providers_mutex_);
    for (auto it = providers_.begin(); it != providers_.end();) {
      if (it->owner != owner) {
        ++it;
        continue;
      }
      if (it->kind == ECP_PROVIDER_RETAINED_STORE)
        retained_.store(&retainer_, std::memory_order_release);
      if (it->kind == ECP_PROVIDER_SESSION_STORE)
        sessions_.store(nullptr, std::memory_order_release);
      if (it->kind == ECP_PROVIDER_CLUSTER_TRANSPORT)
        cluster_.store(nullptr, std::memory_order_release);
      gone.push_back(std::move(*it));
      it = providers_.erase(it);
    }
  }
  if (gone.empty()) return;
  quiesce();  // no worker may still be calling into the old providers
  for (auto& p : gone) {
    if (p.retained) p.retained->drain(std::chrono::seconds(5));
    if (p.sessions) p.sessions->drain(std::chrono::seconds(5));
    if (p.cluster) p.cluster->drain(std::chrono::seconds(5));
  }
  calls_for_providers_.abandon(owner);
}

ecp_status broker::provider_complete(const plugin::hook_owner* owner, std::uint64_t token,
                                     ecp_status status, std::string_view data) {
  return calls_for_providers_.complete(owner, token, status, data);
}

}  // namespace emqx_cpp::broker
