// SPDX-License-Identifier: Apache-2.0
//
// Where a persistent session goes while its client is away. By default sessions live
// only in the memory of their worker (and end with the process); a plugin can provide
// a store (ECP_PROVIDER_SESSION_STORE) so that a session saved when its client left is
// found again by a node that did not have it in memory, after a restart for example.
//
// What is kept: the subscriptions, the expiry interval, the user name and when it was
// saved. Messages queued for the session are not (yet) part of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/session.hpp"
#include "emqx_cpp/plugin.h"

namespace emqx_cpp::broker {

struct stored_session {
  std::string username;
  std::uint32_t expiry_interval = 0;                                // seconds
  std::uint64_t saved_at_ms = 0;                                    // wall clock
  std::vector<std::pair<std::string, subscription>> subscriptions;  // raw filter -> details
};

// The session's saved form, and back. Versioned JSON: a store only moves bytes.
std::string encode_session(const session& s, std::uint64_t now_ms);
std::optional<stored_session> decode_session(std::string_view blob);

class session_store {
 public:
  virtual ~session_store() = default;
  virtual void save(const session& s) = 0;
  // The saved session, unless absent or expired.
  virtual std::optional<stored_session> load(const std::string& client_id) = 0;
  virtual void erase(const std::string& client_id) = 0;
};

// A store served by a plugin's ECP_PROVIDER_SESSION_STORE vtable. Its calls run on the
// I/O worker of the session, so the plugin must answer quickly (write behind, cache).
class plugin_session_store final : public session_store {
 public:
  plugin_session_store(const ecp_session_store_provider* vtable, void* state)
      : vtable_(vtable), state_(state) {}

  void save(const session& s) override;
  std::optional<stored_session> load(const std::string& client_id) override;
  void erase(const std::string& client_id) override;

 private:
  const ecp_session_store_provider* vtable_;
  void* state_;
};

}  // namespace emqx_cpp::broker
