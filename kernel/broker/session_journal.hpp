// SPDX-License-Identifier: Apache-2.0
//
// A worker's batch of session changes for a session store that takes them (ABI 1.1
// on_apply): everything the worker's persistent sessions did in one loop iteration,
// sent to the store once at the end of it, with the acknowledgements it holds back.
// The changes point into storage the batch owns (client ids, messages, property
// blocks), which travels with them to the provider's thread.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "broker/ack_barrier.hpp"
#include "broker/session.hpp"
#include "emqx_cpp/plugin.h"

namespace emqx_cpp::broker {

class change_batch final : public session_journal {
 public:
  struct storage {
    std::deque<std::string> strings;
    std::deque<ecp_stored_message> messages;
    std::vector<message_ptr> keep;  // the messages the stored ones point into
  };

  // session_journal
  void appended(const session& s, const delivery& d) override;
  void sent(const session& s, const delivery& d, std::uint16_t packet_id) override;
  void received(const session& s, const delivery& d, std::uint16_t packet_id) override;
  void done(const session& s, const delivery& d, std::uint16_t packet_id) override;
  void rel_awaited(const session& s, std::uint16_t packet_id) override;
  void rel_released(const session& s, std::uint16_t packet_id) override;

  void subscribed(const session& s, const std::string& raw, const subscription& sub);
  void unsubscribed(const session& s, const std::string& raw);
  // An acknowledgement that waits for this batch to be kept.
  void hold(std::shared_ptr<ack_barrier> b) { barriers_.push_back(std::move(b)); }

  bool empty() const { return changes_.empty() && barriers_.empty(); }
  // Hands everything over and starts a new batch.
  struct taken {
    std::vector<ecp_session_change> changes;
    std::shared_ptr<storage> store;
    std::vector<std::shared_ptr<ack_barrier>> barriers;
  };
  taken take();

 private:
  ecp_session_change& add(const session& s, ecp_session_change_kind kind);
  const char* keep(std::string s);

  std::vector<ecp_session_change> changes_;
  std::shared_ptr<storage> storage_ = std::make_shared<storage>();
  std::vector<std::shared_ptr<ack_barrier>> barriers_;
};

}  // namespace emqx_cpp::broker
