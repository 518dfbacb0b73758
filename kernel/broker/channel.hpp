// SPDX-License-Identifier: Apache-2.0
//
// A channel is one MQTT connection's protocol state (EMQX's emqx_channel): it frames
// and decodes what the client sends, runs each packet's handler (one file per packet
// family: handle_connect.cpp, handle_publish.cpp, handle_subscribe.cpp), and encodes
// what goes back. A malformed or forbidden packet closes only this connection, after
// a DISCONNECT with the reason code for an MQTT 5 client.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/authz_cache.hpp"
#include "broker/client_info.hpp"
#include "broker/plugin_bridge.hpp"
#include "broker/session.hpp"
#include "broker/session_codec.hpp"
#include "mqtt/codec.hpp"
#include "net/tcp_connection.hpp"
#include "plugin/hook_runner.hpp"
#include "plugin/host_services.hpp"
#include "runtime/executor.hpp"
#include "runtime/timer_wheel.hpp"
#include "runtime/token_bucket.hpp"

namespace emqx_cpp::broker {

class worker;

// The channel is its own hook on the worker's timer wheel (the wait for CONNECT, then
// the keepalive check): as a base it needs no pointer back to its owner.
class channel final : public net::tcp_connection::handler,
                      public outbound,
                      public runtime::wheel_hook {
 public:
  channel(worker& w, int fd, std::string peer, std::size_t listener,
          std::string_view initial_input = {});
  ~channel() override;
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  // A new connection: start reading and the idle timer (CONNECT must come in time).
  void start();
  // A connection handed over by another worker with its CONNECT already decoded.
  void start_handed_over(mqtt::connect_packet connect, bool over_limit, bool assigned_id);

  // net::tcp_connection::handler
  void on_input(net::tcp_connection& c) override;
  void on_closed(net::tcp_connection& c, const std::string& why) override;
  void on_drained(net::tcp_connection& c) override;

  // outbound (used by the session)
  bool can_send() const override;
  bool send_publish(const delivery& d, std::uint16_t packet_id, bool dup) override;
  void send_pubrel(std::uint16_t packet_id) override;

  // Closes this connection on the server's initiative: a v5 client first gets a
  // DISCONNECT with `code`. `will` says whether the client's will is published.
  void kick(mqtt::reason_code code, bool publish_will);

  void flush();
  // Ends this connection after a failure in the broker's own code (an exception caught
  // by worker::contained): DISCONNECT 0x83 to an MQTT 5 client, the will published.
  void fail(const std::string& why);

  // Called by the worker when the deadline (the wait for CONNECT, or the keepalive
  // check) armed on its timer wheel passes.
  void on_deadline();

  std::uint64_t id() const { return id_; }
  bool connected() const { return state_ == state::connected; }
  // Subscribes this client as if it had sent SUBSCRIBE (api_subscribe, auto subscribe):
  // no SUBACK, retained messages by retain handling.
  void subscribe_on_behalf(const std::string& filter, const mqtt::subscription_options& opts);
  // An asynchronous hook answered, timed out, or its plugin went away (`token` names
  // the wait it answers; a stale answer is ignored): go on from where the chain stopped.
  // `answer` is ECP_HOOK_STOP with the decision, or ECP_HOOK_CONTINUE.
  void resume_access(std::uint64_t token, plugin::chain_result answer);
  // A provider call answered (on this worker): `handle` uses the answer, then input
  // resumes. Ignored when the wait is over (timed out, or the channel closed).
  void provider_answered(std::uint64_t wait, const std::function<void()>& handle);
  const client_info& client() const { return client_; }
  // Flow control: +1 while a subscriber this client publishes to is congested, -1 when
  // it drained; 0 to look again (the node is back under its memory budget). While any
  // hold stands, or the node is overloaded, input stops at the next PUBLISH
  // (acknowledgements before it are still read) and keepalive is not enforced: the
  // broker, not the client, stopped the reading.
  void hold_input(int delta);
  // The stores kept what acknowledgement `hold` waited for: it goes out in its turn.
  void release_ack(std::uint64_t hold);
  // Forgets every cached authorization decision of this connection.
  void clear_authz_cache() {
    if (authz_) authz_->clear();
  }
  session* current_session() const { return session_; }
  std::size_t pending_output() const { return conn_ ? conn_->pending_output() : 0; }
  mqtt::protocol_version version() const { return version_; }
  // What api_client_info reports; read by other threads only after the worker showed
  // this channel (the fields it reads are fixed by then).
  plugin::client_snapshot snapshot() const;

 private:
  enum class state : std::uint8_t { awaiting_connect, connected, closed };
  // Why the connection ends, which decides what happens to the will.
  enum class close_kind { normal, with_will, abnormal, takeover, shutdown };

  void process_input();
  void handle_packet(mqtt::packet& p);
  void handle_connect(mqtt::connect_packet& c);
  void connect_on_owner(mqtt::connect_packet c, bool assigned_id);
  void authenticated(const plugin::chain_result& r);
  void open_session();
  void finish_open_session(std::optional<stored_session> stored);
  void refuse_connect(mqtt::reason_code code, const std::string& why);
  void handle_publish(mqtt::publish_packet& p);
  void publish_authorized(bool allowed, mqtt::publish_packet& p);
  void handle_ack(const mqtt::ack_packet& a);
  void handle_subscribe(mqtt::subscribe_packet& s);
  void continue_subscribe();
  void subscribe_authorized(bool allowed);
  void yield_subscribe();
  void finish_subscribe();
  // Reads again after a suspension (an access hook answered, a long SUBSCRIBE went on)
  // unless another one started meanwhile.
  void resume_input();
  // Returns the granted QoS.
  // `send_retained` is false when a saved session is restored: its retained messages
  // were delivered when it first subscribed.
  std::uint8_t add_subscription(const std::string& raw, const mqtt::subscription_options& opts,
                                std::uint32_t sub_id, bool* existed, bool send_retained = true);
  void handle_unsubscribe(const mqtt::unsubscribe_packet& u);
  void handle_disconnect(const mqtt::disconnect_packet& d);
  void handle_auth(const mqtt::auth_packet& a);
  // Enhanced authentication (enhanced_auth.cpp).
  void describe_auth(event_frame& frame, const std::optional<std::string>& data) const;
  void send_auth(mqtt::reason_code code, const std::string& data);
  void auth_step_done(const plugin::chain_result& r);

  // Ends the connection: a v5 DISCONNECT with `code` if given, then close.
  void close(close_kind kind, std::optional<mqtt::reason_code> code, const std::string& why);
  void protocol_violation(mqtt::reason_code code, const std::string& why);
  void detach_session(close_kind kind);

  void send_connack(bool session_present, mqtt::reason_code code, mqtt::properties props);
  void send_ack(mqtt::packet_type type, std::uint16_t packet_id, mqtt::reason_code code);
  // PUBACK/PUBREC for a PUBLISH, in order behind any acknowledgement still held.
  void ack_publish(mqtt::packet_type type, std::uint16_t packet_id, mqtt::reason_code code);
  // An acknowledgement held until the session stores keep the message (ack_barrier).
  std::uint64_t hold_ack(mqtt::packet_type type, std::uint16_t packet_id);
  void set_held_code(std::uint64_t hold, mqtt::reason_code code);
  void send_released_acks();
  void send_disconnect(mqtt::reason_code code, const std::string& why);
  void wrote();

  // Access hooks (authenticate, authorize). The answer comes back at once when the
  // chain decides synchronously; otherwise the channel is suspended (input paused),
  // nullopt is returned, and `resume` runs later with the answer.
  using access_resume = std::function<void(const plugin::chain_result&)>;
  std::optional<plugin::chain_result> begin_access(std::unique_ptr<event_frame> frame,
                                                   access_resume resume);
  struct pending_op;
  std::optional<plugin::chain_result> advance_access(pending_op& op);
  // A provider call this channel waits for (channel_pending.cpp). Returns the wait's id;
  // the worker hands the answer over with provider_answered(id, what to do with it).
  // After plugins.hook_timeout `fallback` runs instead.
  std::uint64_t begin_provider_wait(std::string what, std::function<void()> fallback);
  void on_access_timeout(std::uint64_t token);
  void abandon_pending();
  std::unique_ptr<event_frame> new_frame(ecp_hook_point hook) const;
  // authorization.cache: the decision for `key` if cached (counts a hit or a miss), and
  // keeping a new one.
  std::optional<bool> cached_decision(const std::string& key);
  void remember_decision(const std::string& key, bool allowed);
  void notify(ecp_hook_point hook, int reason = 0);

  // This channel as the hook armed on the worker's timer wheel.
  runtime::wheel_hook& deadline() { return *this; }
  void arm_keepalive();
  // mqtt.retry_interval and mqtt.await_rel_timeout: one timer per connection, armed for
  // the earliest in-flight retry or inbound QoS 2 timeout, re-armed when it fires.
  // `at_least`: a due time known to the caller before the session shows it (a message
  // being sent now, not yet in flight).
  void arm_session_timer(steady_clock::time_point now, steady_clock::time_point at_least = {});
  void on_session_timer();
  // Retained messages for new subscriptions (filter, subscription); from a store served
  // by a plugin asynchronously, `suspend`ing the channel until they came.
  void deliver_retained(std::vector<std::pair<std::string, subscription>> wanted, bool suspend);
  void send_retained(std::vector<message_ptr> messages, const subscription& sub);
  void publish_client_event(const char* event);
  // $SYS .../subscribed and .../unsubscribed (sys_topics.sys_event_messages); `opts` is
  // null for an unsubscription.
  void publish_subscription_event(bool subscribed, const std::string& raw_filter,
                                  const mqtt::subscription_options* opts);
  void publish_sys_event(std::string_view event, std::string payload);

  worker& worker_;
  const std::uint64_t id_;
  std::unique_ptr<net::tcp_connection> conn_;
  client_info client_;
  session* session_ = nullptr;
  // Rarely present, so held by pointer: an idle connection pays a pointer, not the
  // whole packet (docs/design/performance.md, memory per connection).
  std::unique_ptr<mqtt::will_message> will_;
  std::chrono::steady_clock::time_point last_activity_;
  std::uint64_t connected_at_ms_ = 0;  // wall clock, for $SYS event messages
  runtime::timer_id session_timer_ = 0;
  steady_clock::time_point session_timer_due_{};
  // Topic aliases (v5), created by the first PUBLISH that uses one.
  struct topic_aliases {
    std::unordered_map<std::uint16_t, std::string> inbound;
    std::unordered_map<std::string, std::uint16_t> outbound;
  };
  std::unique_ptr<topic_aliases> aliases_;
  // MQTT 5 enhanced authentication, for a connection that named a method.
  struct enhanced_auth {
    std::string method;
    bool exchanging = false;  // an AUTH from the client is expected
    std::string final_data;   // for the CONNACK
  };
  std::unique_ptr<enhanced_auth> eauth_;
  std::unique_ptr<authz_cache> authz_;  // allocated on the first decision worth keeping
  struct held_ack {
    std::uint64_t id;
    mqtt::packet_type type;
    std::uint16_t packet_id;
    mqtt::reason_code code;
    bool released;
  };
  std::unique_ptr<std::deque<held_ack>> held_;  // only with a session store taking changes
  std::uint64_t next_hold_ = 1;
  runtime::timer_id hold_timer_ = 0;
  topic_aliases& aliases();

  // The one operation the channel waits on (channel_pending.cpp).
  struct pending_op {
    enum class kind : std::uint8_t { access, provider } what = kind::access;
    std::uint64_t token = 0;  // the access token, or the provider wait's id
    runtime::timer_id timer = 0;
    std::string waiting_on;  // the plugin or store, for the timeout's log line
    // An access chain: where it stopped, and what to do with its answer.
    std::unique_ptr<event_frame> frame;
    std::shared_ptr<const plugin::hook_chain> chain;
    std::size_t next = 0;
    access_resume resume;
    // A provider call: what to do when it does not answer in time.
    std::function<void()> fallback;
  };
  std::unique_ptr<pending_op> pending_;
  // The listener's messages_rate and bytes_rate, when it has them: input waits for the
  // buckets to refill instead of the client being disconnected.
  struct rate_limits {
    std::optional<runtime::token_bucket> messages;
    std::optional<runtime::token_bucket> bytes;
    runtime::timer_id timer = 0;
  };
  std::unique_ptr<rate_limits> rates_;
  // False (and reading paused until the buckets allow it) when the packet with this
  // header must wait.
  bool within_rate(const mqtt::fixed_header& h);
  // Packets whose handling is suspended on an access hook.
  std::unique_ptr<mqtt::connect_packet> pending_connect_;
  std::unique_ptr<mqtt::publish_packet> pending_publish_;
  struct subscribe_job {
    mqtt::subscribe_packet packet;
    std::size_t next = 0;
    mqtt::suback_packet ack;
    std::vector<std::pair<std::string, subscription>> retained;  // filter, subscription
    std::string current;     // the filter being handled (after client.subscribe rewrites)
    bool exclusive = false;  // current is $exclusive/<filter>
  };
  std::unique_ptr<subscribe_job> pending_subscribe_;

  // The small fields last and together, so that padding does not multiply an idle
  // connection's size (docs/design/performance.md, memory per connection).
  std::uint32_t will_delay_ = 0;
  // Client-side limits (v5 CONNECT properties).
  std::uint32_t client_max_packet_ = 0;       // 0: none
  std::uint32_t connect_session_expiry_ = 0;  // from CONNECT, for the DISCONNECT rule
  std::int32_t input_holds_ = 0;
  std::uint16_t listener_;
  std::uint16_t keepalive_ = 0;
  std::uint16_t client_alias_max_ = 0;  // aliases we may use toward the client
  state state_ = state::awaiting_connect;
  mqtt::protocol_version version_ = mqtt::protocol_version::v3_1_1;
  bool counted_ = false;  // holds a slot in its listener's connection count
  bool over_limit_ = false;
  bool problem_information_ = true;  // Request Problem Information (v5 CONNECT)
  bool clean_start_ = true;
  bool shown_ = false;      // published in the worker's client table
  bool yielded_ = false;    // a long SUBSCRIBE gave the worker back; input waits for it
  bool held_back_ = false;  // reading stopped at a PUBLISH by flow control
  bool rate_paused_ = false;
  bool pending_assigned_ = false;
  bool dirty_ = false;  // written to in this loop iteration; the worker flushes it
};

}  // namespace emqx_cpp::broker
