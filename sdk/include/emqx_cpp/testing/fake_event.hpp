// SPDX-License-Identifier: Apache-2.0
//
// Part of the fake host for plugin unit tests; include <emqx_cpp/testing/fake_host.hpp>.
// What a test hands to fake_host::fire (a client, a message, the event's other members)
// and what it gets back: the chain's folded result, the reply of the callback that
// decided, and the message and topic as the chain left them. All plain values, so a test
// can write fire(ECP_HOOK_CLIENT_AUTHENTICATE, {.client = fake_client{.username = "bob"}}).
#pragma once

#include <emqx_cpp/plugin.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace emqx_cpp::sdk::testing {

// Every member has an initializer so designated initializers may leave any out.
//
// A connected client as the broker describes it to hooks and to api_client_info.
struct fake_client {
  std::string client_id = "client-1";
  std::optional<std::string> username{};
  std::string peer = "127.0.0.1:50000";
  std::string listener = "tcp:default";
  std::uint8_t protocol_version = 5;
  bool is_superuser = false;
  bool clean_start = true;
  std::uint16_t keepalive = 60;
};

// A message inside a message.* hook. The host API's api_message_* functions read and
// write this object (the ecp_message* a hook sees points to it).
struct fake_message {
  std::string topic = "t";
  std::string payload{};
  std::uint8_t qos = 0;
  bool retain = false;
  std::string publisher{};  // the client id; empty for a message the broker publishes
  std::vector<std::pair<std::string, std::string>> user_properties{};
  // Setters answer ECP_ERR_WRONG_STATE unless this is set; fire() sets it for
  // message.publish only, as the broker does.
  bool writable = false;
};

// The members of an ecp_event that a test chooses; anything left out is zero/NULL, as
// for a hook point that does not use it. Plain fields, plus setters for chaining.
struct event_builder {
  std::optional<fake_client> client = fake_client{};  // nullopt: a broker-published message
  std::optional<fake_message> message{};
  std::optional<std::string> topic{};
  std::uint8_t qos = 0;
  bool retain = false;
  ecp_action action = ECP_ACTION_PUBLISH;
  std::int32_t reason = 0;
  std::optional<std::string> password{};
  std::uint64_t token = 0;  // 0: fire() assigns one for authenticate/authorize
  // ABI 1.1 members
  std::uint32_t worker = 0;
  std::optional<std::string> reason_name{};  // message.dropped, delivery.dropped
  std::optional<std::string> auth_method{};  // enhanced authentication
  std::optional<std::string> auth_data{};

  event_builder& with_client(fake_client c) {
    client = std::move(c);
    return *this;
  }
  event_builder& without_client() {
    client.reset();
    return *this;
  }
  event_builder& with_message(fake_message m) {
    message = std::move(m);
    return *this;
  }
  event_builder& with_topic(std::string t) {
    topic = std::move(t);
    return *this;
  }
  event_builder& with_qos(std::uint8_t q) {
    qos = q;
    return *this;
  }
  event_builder& with_retain(bool r) {
    retain = r;
    return *this;
  }
  event_builder& with_action(ecp_action a) {
    action = a;
    return *this;
  }
  event_builder& with_reason(std::int32_t r) {
    reason = r;
    return *this;
  }
  event_builder& with_password(std::string p) {
    password = std::move(p);
    return *this;
  }
  event_builder& with_token(std::uint64_t t) {
    token = t;
    return *this;
  }
  event_builder& with_reason_name(std::string r) {
    reason_name = std::move(r);
    return *this;
  }
  event_builder& with_auth(std::string method, std::string data) {
    auth_method = std::move(method);
    auth_data = std::move(data);
    return *this;
  }
};

// The outcome of one hook chain, folded the way the broker folds it: callbacks run by
// priority (highest first, then registration order); CONTINUE and CRASHED go on to the
// next; STOP ends the chain with its reply; ASYNC ends it until api_complete answers.
struct fire_result {
  ecp_hook_result result = ECP_HOOK_CONTINUE;  // CONTINUE when nobody decided
  ecp_hook_reply reply{sizeof(ecp_hook_reply), ECP_OK, 0, nullptr, 0};  // the deciding callback's
  std::uint64_t token = 0;                                              // the event's token
  std::vector<ecp_hook_result> results;  // what each callback returned, in run order
  std::size_t crashed = 0;               // callbacks that returned ECP_HOOK_CRASHED
  // Callbacks that broke the contract (ASYNC where it is not allowed, an unknown
  // value); the fake counts them as crashed, which is what the broker does.
  std::vector<std::string> violations;
  std::optional<fake_message> message;  // after the chain, for message.* hooks
  std::string topic;                    // the event's topic after the chain (rewrites)
  std::string auth_data;                // Authentication Data the deciding callback gave

  // message.publish: a callback stopped the chain with a code other than ECP_OK.
  bool dropped() const noexcept { return result == ECP_HOOK_STOP && reply.code != ECP_OK; }
};

}  // namespace emqx_cpp::sdk::testing
