// SPDX-License-Identifier: Apache-2.0
//
// Channel life cycle: framing and dispatch of inbound packets, timers (CONNECT idle
// timeout, keepalive), and the ways a connection ends.
#include "broker/channel.hpp"

#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/fault_injection.hpp"
#include "broker/worker.hpp"

namespace emqx_cpp::broker {

using mqtt::reason_code;

channel::channel(worker& w, int fd, std::string peer, std::size_t listener,
                 std::string_view initial_input)
    : worker_(w), id_(w.new_channel_id()), listener_(static_cast<std::uint16_t>(listener)) {
  client_.peer = std::move(peer);
  client_.listener = w.owner().listener(listener).id;
  conn_ = std::make_unique<net::tcp_connection>(
      w.loop().base(), fd, this,
      static_cast<std::size_t>(w.owner().listener(listener).cfg.high_watermark), initial_input);
  last_activity_ = std::chrono::steady_clock::now();
  const auto& lc = w.owner().listener(listener).cfg;
  if (lc.messages_rate.limited() || lc.bytes_rate.limited()) {
    rates_ = std::make_unique<rate_limits>();
    if (lc.messages_rate.limited())
      rates_->messages.emplace(lc.messages_rate.amount, lc.messages_rate.period_ms, last_activity_);
    if (lc.bytes_rate.limited())
      rates_->bytes.emplace(lc.bytes_rate.amount, lc.bytes_rate.period_ms, last_activity_);
  }
}

channel::~channel() {
  if (shown_) worker_.hide_client(*this);
  abandon_pending();
  worker_.loop().cancel(session_timer_);
  worker_.loop().cancel(hold_timer_);
  if (rates_) worker_.loop().cancel(rates_->timer);
  // A DISCONNECT or CONNACK may still be on its way out; let it drain on its own.
  if (conn_ && !conn_->closed()) worker_.linger(std::move(conn_));
}

void channel::start() {
  const auto idle = worker_.cfg().mqtt.idle_timeout_ms;
  if (idle != 0) {
    worker_.arm_deadline(deadline(), last_activity_ + std::chrono::milliseconds(idle));
  }
  conn_->start();
}

void channel::start_handed_over(mqtt::connect_packet connect, bool over_limit, bool assigned_id) {
  over_limit_ = over_limit;
  counted_ = !over_limit;
  version_ = connect.version;
  connect_on_owner(std::move(connect), assigned_id);
  if (state_ != state::closed) conn_->start();
}

void channel::on_input(net::tcp_connection& /*c*/) {
  last_activity_ = std::chrono::steady_clock::now();
  worker_.stats().add(worker_.stats().bytes_received, conn_->take_bytes_in());
  // A bug in a handler ends this connection only, as a crashed connection process
  // would in EMQX.
  worker_.contained(this, "packet", [](channel* ch) { ch->process_input(); });
}

void channel::fail(const std::string& why) {
  try {
    close(close_kind::abnormal, reason_code::implementation_specific_error, why);
  } catch (...) {
    // Closing failed too (the fault is in the close path itself): drop the socket.
    state_ = state::closed;
    if (conn_) conn_->close_now();
    worker_.retire(this);
  }
}

void channel::process_input() {
  const auto& m = worker_.cfg().mqtt;
  const mqtt::decode_options opts{m.strict_mode};
  while (state_ != state::closed && conn_ && !conn_->closed()) {
    if (pending_ || yielded_ || rate_paused_) return;  // the previous packet is still being handled
    auto in = conn_->input();
    mqtt::fixed_header h;
    switch (mqtt::read_frame(in, m.max_packet_size, h)) {
      case mqtt::frame_status::incomplete:
        // Once the fixed header is in, the size of the whole packet is known.
        if (h.header_size != 0) conn_->expect_input(static_cast<std::uint32_t>(h.frame_size()));
        return;
      case mqtt::frame_status::malformed:
        worker_.stats().add(worker_.stats().malformed_packets);
        protocol_violation(reason_code::malformed_packet, "malformed fixed header");
        return;
      case mqtt::frame_status::too_large:
        protocol_violation(reason_code::packet_too_large,
                           fmt::format("packet of {} bytes exceeds max_packet_size {}",
                                       h.frame_size(), m.max_packet_size));
        return;
      case mqtt::frame_status::complete:
        break;
    }
    if (rates_ && !within_rate(h)) return;
    if (h.type == mqtt::packet_type::publish &&
        (input_holds_ > 0 || worker_.owner().overloaded())) {
      if (input_holds_ == 0) worker_.hold_for_overload(id_);
      held_back_ = true;
      conn_->pause_reading();
      return;
    }
    const auto body = in.subspan(h.header_size, h.remaining_length);
    const bool exchanging_auth = eauth_ && eauth_->exchanging && h.type == mqtt::packet_type::auth;
    if (state_ == state::awaiting_connect && h.type != mqtt::packet_type::connect &&
        !exchanging_auth) {
      close(close_kind::abnormal, std::nullopt,
            fmt::format("{} before CONNECT [MQTT-3.1.0-1]", to_string(h.type)));
      return;
    }
    if (h.type == mqtt::packet_type::connect && state_ == state::awaiting_connect) {
      // Answer a refused CONNECT in the client's own protocol version.
      if (auto v = mqtt::connect_version(body)) version_ = *v;
    }
    auto decoded = mqtt::decode(h, body, version_, opts);
    conn_->consume(h.frame_size());
    worker_.stats().add(worker_.stats().packets_received);
    if (!decoded) {
      const auto rc = static_cast<reason_code>(decoded.err().code);
      if (rc == reason_code::malformed_packet)
        worker_.stats().add(worker_.stats().malformed_packets);
      if (h.type == mqtt::packet_type::connect && state_ == state::awaiting_connect &&
          rc == reason_code::unsupported_protocol_version) {
        refuse_connect(rc, decoded.err().message);
        return;
      }
      protocol_violation(rc, decoded.err().message);
      return;
    }
    handle_packet(decoded.value());
  }
}

bool channel::within_rate(const mqtt::fixed_header& h) {
  const auto now = std::chrono::steady_clock::now();
  std::chrono::nanoseconds wait{0};
  const bool publish = h.type == mqtt::packet_type::publish && rates_->messages;
  if (publish) wait = rates_->messages->take(1, now);
  if (wait.count() == 0 && rates_->bytes) {
    wait = rates_->bytes->take(static_cast<double>(h.frame_size()), now);
    if (wait.count() != 0 && publish) rates_->messages->give_back(1);
  }
  if (wait.count() == 0) return true;
  rate_paused_ = true;
  conn_->pause_reading();
  rates_->timer = worker_.loop().schedule(
      std::chrono::duration_cast<std::chrono::milliseconds>(wait) + std::chrono::milliseconds(1),
      [this] {
        rates_->timer = 0;
        rate_paused_ = false;
        last_activity_ = std::chrono::steady_clock::now();
        worker_.contained(this, "rate", [](channel* ch) { ch->resume_input(); });
        worker_.request_flush();
      });
  return false;
}

void channel::hold_input(int delta) {
  input_holds_ += delta;
  if (input_holds_ > 0 || !held_back_) return;
  held_back_ = false;
  // The client could not be read meanwhile; its keepalive counts from now.
  last_activity_ = std::chrono::steady_clock::now();
  worker_.contained(this, "resume", [](channel* ch) { ch->resume_input(); });
}

void channel::resume_input() {
  if (pending_ || yielded_ || held_back_ || rate_paused_ || state_ == state::closed || !conn_)
    return;
  conn_->resume_reading();
  process_input();  // what the client sent meanwhile
}

void channel::handle_packet(mqtt::packet& p) {
  std::visit(
      [&](auto& pkt) {
        using T = std::decay_t<decltype(pkt)>;
        if constexpr (std::is_same_v<T, mqtt::connect_packet>) {
          if (state_ != state::awaiting_connect) {
            protocol_violation(reason_code::protocol_error, "second CONNECT [MQTT-3.1.0-2]");
            return;
          }
          handle_connect(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::publish_packet>) {
          handle_publish(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::ack_packet>) {
          handle_ack(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::subscribe_packet>) {
          handle_subscribe(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::unsubscribe_packet>) {
          handle_unsubscribe(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::pingreq_packet>) {
          mqtt::encode_pingresp(conn_->output());
          wrote();
        } else if constexpr (std::is_same_v<T, mqtt::disconnect_packet>) {
          handle_disconnect(pkt);
        } else if constexpr (std::is_same_v<T, mqtt::auth_packet>) {
          handle_auth(pkt);
        } else {
          // CONNACK, SUBACK, UNSUBACK, PINGRESP only travel from server to client.
          protocol_violation(reason_code::protocol_error,
                             "a server-to-client packet sent by the client");
        }
      },
      p);
}

void channel::on_closed(net::tcp_connection& /*c*/, const std::string& why) {
  close(close_kind::abnormal, std::nullopt, why);
}

void channel::on_drained(net::tcp_connection& /*c*/) {
  if (session_ == nullptr) return;
  session_->drain(this, std::chrono::steady_clock::now(), worker_.delivery_counts());
  worker_.flow().drained(*session_);
  wrote();
}

void channel::wrote() {
  if (!dirty_) {
    dirty_ = true;
    worker_.mark_dirty(this);
  }
}

void channel::flush() {
  dirty_ = false;
  if (conn_) {
    inject_fault("flush", client_.client_id);
    conn_->flush();
    worker_.stats().add(worker_.stats().bytes_sent, conn_->take_bytes_out());
  }
}

bool channel::can_send() const {
  return conn_ && !conn_->closed() && !conn_->over_high_watermark();
}

void channel::send_ack(mqtt::packet_type type, std::uint16_t packet_id, reason_code code) {
  mqtt::ack_packet a;
  a.type = type;
  a.packet_id = packet_id;
  a.code = code;
  mqtt::encode_ack(a, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
  wrote();
}

void channel::send_pubrel(std::uint16_t packet_id) {
  send_ack(mqtt::packet_type::pubrel, packet_id, reason_code::success);
}

void channel::send_disconnect(reason_code code, const std::string& why) {
  if (version_ != mqtt::protocol_version::v5 || !conn_ || conn_->closed()) return;
  mqtt::disconnect_packet d{code, {}};
  // A reason string helps the client's developer; it is left out when the client asked
  // for no problem information [MQTT-3.1.2-29].
  if (problem_information_ && is_error(code)) d.props.reason_string = why;
  mqtt::encode_disconnect(d, version_, conn_->output());
  worker_.stats().add(worker_.stats().packets_sent);
}

void channel::protocol_violation(reason_code code, const std::string& why) {
  worker_.log().info("protocol_error client={} peer={} reason_code={:#04x} reason=\"{}\"",
                     client_.client_id, client_.peer, static_cast<int>(code), why);
  // Before CONNACK there is nothing to DISCONNECT; a CONNECT error gets a CONNACK.
  if (state_ == state::awaiting_connect) {
    if (version_ == mqtt::protocol_version::v5) {
      refuse_connect(code, why);
    } else {
      close(close_kind::abnormal, std::nullopt, why);
    }
    return;
  }
  close(close_kind::abnormal, code, why);
}

void channel::kick(reason_code code, bool publish_will) {
  close(publish_will ? close_kind::abnormal
                     : (code == reason_code::session_taken_over ? close_kind::takeover
                                                                : close_kind::shutdown),
        code, std::string(to_string(code)));
}

void channel::close(close_kind kind, std::optional<reason_code> code, const std::string& why) {
  if (state_ == state::closed) return;
  const bool was_connected = state_ == state::connected;
  state_ = state::closed;
  deadline().disarm();
  abandon_pending();
  worker_.loop().cancel(session_timer_);
  session_timer_ = 0;
  worker_.loop().cancel(hold_timer_);
  hold_timer_ = 0;
  pending_connect_.reset();
  pending_publish_.reset();
  pending_subscribe_.reset();
  if (code && was_connected) send_disconnect(*code, why);
  if (conn_) conn_->close_after_flush();
  if (counted_) {
    worker_.owner().listener(listener_).connections.fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
  }
  if (was_connected) {
    worker_.log().debug("disconnected client={} peer={} reason=\"{}\"", client_.client_id,
                        client_.peer, why);
    worker_.stats().sub(worker_.stats().connections);
    worker_.stats().add(worker_.stats().client_disconnected);
    if (shown_) worker_.hide_client(*this);
    shown_ = false;
    publish_client_event("disconnected");
    notify(ECP_HOOK_CLIENT_DISCONNECTED, code ? static_cast<int>(*code) : 0);
    detach_session(kind);
  }
  flush();
  worker_.retire(this);
}

void channel::detach_session(close_kind kind) {
  if (session_ == nullptr) return;
  auto* slot = worker_.find_session(session_->client_id());
  session* s = session_;
  session_ = nullptr;
  if (slot == nullptr || slot->ch != this) return;
  slot->ch = nullptr;
  switch (kind) {
    case close_kind::normal:
    case close_kind::shutdown:
      will_.reset();
      break;
    case close_kind::takeover:
      // A will without delay goes out now, as EMQX does. A delayed one waits with the
      // session: the new connection cancels it by resuming the session, or has it
      // published at once by starting clean, which ends the session [MQTT-3.1.3-9].
      if (will_ && will_delay_ == 0) worker_.publish_will(*s, *will_);
      if (will_ && will_delay_ != 0) worker_.schedule_will(*slot, std::move(*will_), will_delay_);
      will_.reset();
      break;
    case close_kind::with_will:
    case close_kind::abnormal:
      if (will_) {
        if (will_delay_ == 0 || s->expiry_interval == 0) {
          worker_.publish_will(*s, *will_);
        } else {
          worker_.schedule_will(*slot, std::move(*will_),
                                std::min(will_delay_, s->expiry_interval));
        }
        will_.reset();
      }
      break;
  }
  if (kind == close_kind::takeover) return;  // the new channel decides the session's fate
  worker_.park_session(*slot);
}

plugin::client_snapshot channel::snapshot() const {
  plugin::client_snapshot snap;
  snap.client_id = client_.client_id;
  snap.username = client_.username;
  snap.peer = client_.peer;
  snap.listener = std::string(client_.listener);
  snap.protocol_version = static_cast<std::uint8_t>(version_);
  snap.is_superuser = client_.is_superuser;
  snap.clean_start = clean_start_;
  snap.keepalive = keepalive_;
  return snap;
}

void channel::arm_keepalive() {
  if (keepalive_ == 0) {
    deadline().disarm();
    return;
  }
  const double limit_ms = keepalive_ * 1000.0 * worker_.cfg().mqtt.keepalive_multiplier;
  worker_.arm_deadline(
      deadline(), last_activity_ + std::chrono::milliseconds(static_cast<std::int64_t>(limit_ms)));
}

void channel::arm_session_timer(steady_clock::time_point now, steady_clock::time_point at_least) {
  if (session_ == nullptr || state_ != state::connected) return;
  const auto& m = worker_.cfg().mqtt;
  steady_clock::time_point due{};
  auto earliest = [&](steady_clock::time_point t) {
    if (t != steady_clock::time_point{} && (due == steady_clock::time_point{} || t < due)) due = t;
  };
  earliest(at_least);
  if (m.retry_interval_ms != 0)
    earliest(session_->next_retry(std::chrono::milliseconds(m.retry_interval_ms)));
  if (m.await_rel_timeout_ms != 0)
    earliest(session_->next_rel_expiry(std::chrono::milliseconds(m.await_rel_timeout_ms)));
  if (due == steady_clock::time_point{}) return;  // nothing waits; a fired timer stays off
  if (session_timer_ != 0 && session_timer_due_ <= due) return;
  worker_.loop().cancel(session_timer_);
  session_timer_due_ = due;
  session_timer_ = worker_.loop().schedule(
      std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
          std::chrono::milliseconds(1),
      [this] {
        session_timer_ = 0;
        worker_.contained(this, "timer", [](channel* ch) { ch->on_session_timer(); });
        worker_.request_flush();
      });
}

void channel::on_session_timer() {
  if (session_ == nullptr || state_ != state::connected) return;
  const auto& m = worker_.cfg().mqtt;
  const auto now = steady_clock::now();
  if (m.retry_interval_ms != 0)
    session_->retry(this, now, std::chrono::milliseconds(m.retry_interval_ms));
  if (m.await_rel_timeout_ms != 0) {
    const auto expired =
        session_->expire_awaiting_rel(now, std::chrono::milliseconds(m.await_rel_timeout_ms));
    if (expired != 0) {
      // EMQX's messages.dropped.await_pubrel_timeout: the PUBREL never came.
      worker_.stats().add(worker_.stats().messages_dropped_await_pubrel_timeout, expired);
      worker_.stats().add(worker_.stats().messages_dropped, expired);
      worker_.log().debug("await_rel_expired client={} count={}", client_.client_id, expired);
    }
  }
  arm_session_timer(now);
}

void channel::on_deadline() {
  inject_fault("timer", client_.client_id);
  if (state_ == state::awaiting_connect) {
    close(close_kind::abnormal, std::nullopt,
          eauth_ ? "enhanced authentication not finished within idle_timeout"
                 : "no CONNECT within idle_timeout");
    return;
  }
  if (state_ != state::connected) return;
  if (held_back_ || rate_paused_) {
    // Its PINGREQ may be waiting behind a PUBLISH the broker does not read yet.
    last_activity_ = std::chrono::steady_clock::now();
    arm_keepalive();
    return;
  }
  const double limit_ms = keepalive_ * 1000.0 * worker_.cfg().mqtt.keepalive_multiplier;
  const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - last_activity_);
  if (static_cast<double>(idle.count()) >= limit_ms) {
    close(close_kind::abnormal, reason_code::keep_alive_timeout,
          fmt::format("keepalive timeout after {} ms", idle.count()));
    return;
  }
  arm_keepalive();  // there was traffic since: wait from the last of it
}

void channel::handle_disconnect(const mqtt::disconnect_packet& d) {
  if (d.props.session_expiry_interval && session_ != nullptr) {
    if (connect_session_expiry_ == 0 && *d.props.session_expiry_interval != 0) {
      protocol_violation(reason_code::protocol_error,
                         "session expiry set on DISCONNECT after 0 on CONNECT [MQTT-3.14.2-2]");
      return;
    }
    session_->expiry_interval = *d.props.session_expiry_interval;
    if (session_->expiry_interval == 0) session_->set_journal(nullptr);  // ends with it
  }
  // Only a normal disconnection (0x00) discards the will [MQTT-3.1.2-8]; 0x04 asks for
  // it, and so does every error code a client reports.
  const bool with_will = d.code != reason_code::success;
  close(with_will ? close_kind::with_will : close_kind::normal, std::nullopt,
        fmt::format("client DISCONNECT {:#04x}", static_cast<int>(d.code)));
}

}  // namespace emqx_cpp::broker
