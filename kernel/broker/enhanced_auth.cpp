// SPDX-License-Identifier: Apache-2.0
//
// MQTT 5 enhanced authentication (section 4.12), as EMQX offers it to its SCRAM
// authenticator. A CONNECT naming an Authentication Method goes to client.authenticate
// with the method and data; a plugin answers ECP_RC_CONTINUE_AUTHENTICATION with data
// for an AUTH 0x18, and each AUTH the client sends back goes to client.auth_exchange,
// until a plugin accepts (CONNACK, with the method and any final data) or refuses
// (CONNACK with its reason code). Once connected, AUTH 0x19 starts a re-authentication
// through client.auth_exchange: success is AUTH 0x00, refusal a DISCONNECT. A method
// no plugin takes up is refused with 0x8C. The client has mqtt.idle_timeout to finish.
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/channel.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

using mqtt::reason_code;

void channel::describe_auth(event_frame& frame, const std::optional<std::string>& data) const {
  frame.event.auth_method = eauth_->method.c_str();
  if (data) {
    frame.auth_data = *data;
    frame.event.auth_data = frame.auth_data.data();
    frame.event.auth_data_len = frame.auth_data.size();
  }
}

void channel::send_auth(reason_code code, const std::string& data) {
  mqtt::auth_packet a;
  a.code = code;
  a.props.authentication_method = eauth_->method;
  if (!data.empty()) a.props.authentication_data = data;
  mqtt::encode_auth(a, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
}

void channel::auth_step_done(const plugin::chain_result& r) {
  if (state_ == state::closed || !eauth_) return;
  const bool connecting = state_ == state::awaiting_connect;
  if (r.result != ECP_HOOK_STOP) {
    // Nobody knows this method.
    eauth_->exchanging = false;
    if (connecting) {
      refuse_connect(reason_code::bad_authentication_method,
                     "no authenticator takes authentication method " + eauth_->method);
    } else {
      close(close_kind::abnormal, reason_code::bad_authentication_method,
            "no authenticator takes authentication method " + eauth_->method);
    }
    return;
  }
  if (r.reply.code == ECP_RC_CONTINUE_AUTHENTICATION) {
    eauth_->exchanging = true;
    send_auth(reason_code::continue_authentication, r.auth_data);
    if (connecting) {
      const auto idle = worker_.cfg().mqtt.idle_timeout_ms;
      if (idle != 0)
        worker_.arm_deadline(deadline(),
                             std::chrono::steady_clock::now() + std::chrono::milliseconds(idle));
    }
    return;
  }
  eauth_->exchanging = false;
  if (r.reply.code != ECP_OK) {
    const auto code = refusal_code(r.reply.code);
    const std::string by = refused_by(r);
    if (connecting) {
      refuse_connect(code, "enhanced authentication refused by " + by);
    } else {
      close(close_kind::abnormal, code, "re-authentication refused by " + by);
    }
    return;
  }
  if (connecting) {
    deadline().disarm();
    client_.is_superuser = r.reply.is_superuser != 0;
    eauth_->final_data = r.auth_data;
    open_session();
  } else {
    send_auth(reason_code::success, r.auth_data);
  }
}

void channel::handle_auth(const mqtt::auth_packet& a) {
  const auto& method = a.props.authentication_method;
  // As EMQX: an AUTH without a method is a protocol error [MQTT-4.12.0-1]; one naming a
  // method other than the connection's gets 0x8C [MQTT-4.12.1-2].
  if (!method) {
    protocol_violation(reason_code::protocol_error, "AUTH without an authentication method");
    return;
  }
  if (!eauth_ || *method != eauth_->method) {
    protocol_violation(reason_code::bad_authentication_method,
                       "AUTH names a method the connection did not authenticate with");
    return;
  }
  const bool continuing = a.code == reason_code::continue_authentication && eauth_->exchanging;
  const bool reauth =
      a.code == reason_code::reauthenticate && state_ == state::connected && !eauth_->exchanging;
  if (!continuing && !reauth) {
    protocol_violation(reason_code::protocol_error,
                       fmt::format("AUTH {:#04x} out of turn", static_cast<int>(a.code)));
    return;
  }
  auto frame = new_frame(ECP_HOOK_CLIENT_AUTH_EXCHANGE);
  frame->event.reason = static_cast<int>(a.code);
  describe_auth(*frame, a.props.authentication_data);
  eauth_->exchanging = true;
  if (worker_.hooks().empty(ECP_HOOK_CLIENT_AUTH_EXCHANGE)) {
    auth_step_done(plugin::chain_result{});
    return;
  }
  if (auto r = begin_access(std::move(frame),
                            [this](const plugin::chain_result& later) { auth_step_done(later); }))
    auth_step_done(*r);
}

}  // namespace emqx_cpp::broker
