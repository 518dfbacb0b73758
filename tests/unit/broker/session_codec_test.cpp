// SPDX-License-Identifier: Apache-2.0
//
// The session codec: a session with every kind of state (plain, shared and exclusive
// subscriptions, in-flight messages in each waiting state, a queue, inbound QoS 2 ids,
// a will with properties) decodes to what was encoded; the decoder refuses garbage, a
// wrong format version and values no session can hold; a message queued twice decodes
// to one shared object. "writes fuzz seeds when asked" writes seed sessions for
// fuzz/session_decode_fuzz.cpp when EMQX_CPP_WRITE_SESSION_SEEDS names a directory.
#include "broker/session_codec.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace emqx_cpp::broker {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<message> make_msg(std::string topic, std::string payload, std::uint8_t qos) {
  static message_ids ids(node_hash("test@127.0.0.1"), 1);
  auto m = std::make_shared<message>();
  m->id = ids.next(wall_clock_us());
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  return m;
}

delivery make_delivery(message_ptr m, std::uint8_t qos) {
  delivery d;
  d.msg = std::move(m);
  d.qos = qos;
  return d;
}

subscription make_sub(std::string group, std::string filter, std::uint8_t qos) {
  subscription sub;
  sub.group = std::move(group);
  sub.filter = std::move(filter);
  sub.opts.qos = qos;
  return sub;
}

// A session with some of everything; `a` is the in-flight QoS 1 message with
// properties and an expiry.
struct full_session {
  std::unique_ptr<session> s = std::make_unique<session>(7, "client-1", session_limits{});
  std::shared_ptr<message> a;

  explicit full_session(steady_clock::time_point now) {
    s->username = "alice";
    s->expiry_interval = 3600;
    s->subscriptions().emplace("a/+", make_sub("", "a/+", 1));
    s->subscriptions().emplace("$share/g/x", make_sub("g", "x", 2));
    subscription excl = make_sub("", "y", 1);
    excl.exclusive = true;
    excl.opts.no_local = true;
    excl.opts.retain_as_published = true;
    excl.opts.retain_handling = 2;
    excl.subscription_id = 42;
    s->subscriptions().emplace("$exclusive/y", excl);

    a = make_msg("t/a", "pa", 1);
    a->retain = true;
    a->publisher = "pub-1";
    a->timestamp_ms = 1700000000000ULL;
    a->expires_at = now + 60s;
    mqtt::properties props;
    props.payload_format_indicator = 1;
    props.content_type = "text/plain";
    props.response_topic = "reply/to";
    props.correlation_data = std::string("\x01\x00\x02", 3);
    props.user = {{"k", "v"}, {"k", "w"}};
    a->props = std::make_shared<const mqtt::properties>(props);
    delivery da = make_delivery(a, 1);
    da.retain = true;
    da.subscription_id = 5;
    s->restore_inflight(std::move(da), 10, session::waiting::puback);
    delivery db = make_delivery(make_msg("t/b", "pb", 2), 2);
    db.share = "g\nx";
    s->restore_inflight(std::move(db), 11, session::waiting::pubrec);
    s->restore_inflight(make_delivery(nullptr, 2), 12, session::waiting::pubcomp);

    s->restore_queued(make_delivery(make_msg("t/d", "pd", 1), 1));
    s->restore_queued(make_delivery(make_msg("t/e", "pe", 0), 0));
    s->restore_awaiting_rel(9, now);
    s->restore_awaiting_rel(3, now);
    s->restore_last_packet_id(12);

    s->will = std::make_unique<mqtt::will_message>();
    s->will->topic = "will/t";
    s->will->payload = "bye";
    s->will->qos = 1;
    s->will->retain = true;
    s->will->props.user = {{"wk", "wv"}};
    s->will->props.content_type = "text/plain";
    s->will->props.message_expiry_interval = 100;
    s->will->props.will_delay_interval = 30;  // kept apart: not stored with the will
  }
};

const subscription* find_sub(const stored_session& st, std::string_view raw) {
  for (const auto& [filter, sub] : st.subscriptions) {
    if (filter == raw) return &sub;
  }
  return nullptr;
}

std::int64_t ms_apart(steady_clock::time_point x, steady_clock::time_point y) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x - y).count();
}

// Refused, with a reason containing `expected`.
void check_refused(std::string_view blob, std::string_view expected) {
  std::string why;
  const auto decoded = decode_session(blob, &why);
  CHECK_FALSE(decoded.has_value());
  CAPTURE(why);
  CHECK(why.find(expected) != std::string::npos);
}

TEST_CASE("session codec: a session decodes to what was encoded") {
  const auto now = steady_clock::now();
  full_session f(now);
  const std::uint64_t saved_at = wall_clock_ms();
  const std::string blob = encode_session(*f.s, saved_at, saved_at + 30000);
  std::string why;
  auto back = decode_session(blob, &why);
  CAPTURE(why);
  REQUIRE(back.has_value());

  CHECK(back->client_id == "client-1");
  CHECK(back->username == "alice");
  CHECK(back->expiry_interval == 3600);
  CHECK(back->saved_at_ms == saved_at);
  CHECK(back->last_packet_id == 12);
  CHECK(back->will_publish_at_ms == saved_at + 30000);
  CHECK_FALSE(back->expired(saved_at + 3599 * 1000));
  CHECK(back->expired(saved_at + 3600 * 1000));

  REQUIRE(back->subscriptions.size() == 3);
  for (const auto& entry : f.s->subscriptions()) {
    const std::string& raw = entry.first;
    const subscription& sub = entry.second;
    CAPTURE(raw);
    const subscription* got = find_sub(*back, raw);
    REQUIRE(got != nullptr);
    CHECK(got->group == sub.group);
    CHECK(got->filter == sub.filter);
    CHECK(got->exclusive == sub.exclusive);
    CHECK(got->opts == sub.opts);
    CHECK(got->subscription_id == sub.subscription_id);
  }

  REQUIRE(back->inflight.size() == 3);
  const stored_inflight& ia = back->inflight[0];
  CHECK(ia.packet_id == 10);
  CHECK(ia.state == session::waiting::puback);
  CHECK(ia.d.qos == 1);
  CHECK(ia.d.retain);
  CHECK(ia.d.subscription_id == 5);
  CHECK(ia.d.share.empty());
  REQUIRE(ia.d.msg != nullptr);
  CHECK(ia.d.msg->id == f.a->id);
  CHECK(ia.d.msg->topic == "t/a");
  CHECK(ia.d.msg->payload == "pa");
  CHECK(ia.d.msg->qos == 1);
  CHECK(ia.d.msg->retain);
  CHECK(ia.d.msg->publisher == "pub-1");
  CHECK(ia.d.msg->timestamp_ms == 1700000000000ULL);
  REQUIRE(ia.d.msg->props != nullptr);
  CHECK(*ia.d.msg->props == *f.a->props);
  CHECK(ia.d.msg->props->user == mqtt::user_properties{{"k", "v"}, {"k", "w"}});
  // The expiry goes through the wall clock and back.
  CHECK(ms_apart(ia.d.msg->expires_at, f.a->expires_at) > -2000);
  CHECK(ms_apart(ia.d.msg->expires_at, f.a->expires_at) < 2000);

  const stored_inflight& ib = back->inflight[1];
  CHECK(ib.packet_id == 11);
  CHECK(ib.state == session::waiting::pubrec);
  CHECK(ib.d.qos == 2);
  CHECK(ib.d.share == "g\nx");
  REQUIRE(ib.d.msg != nullptr);
  CHECK(ib.d.msg->topic == "t/b");
  CHECK(ib.d.msg->props == nullptr);
  CHECK(ib.d.msg->expires_at == steady_clock::time_point{});

  const stored_inflight& ic = back->inflight[2];
  CHECK(ic.packet_id == 12);
  CHECK(ic.state == session::waiting::pubcomp);
  CHECK(ic.d.qos == 2);
  CHECK(ic.d.msg == nullptr);

  REQUIRE(back->queue.size() == 2);
  REQUIRE(back->queue[0].msg != nullptr);
  CHECK(back->queue[0].msg->topic == "t/d");
  CHECK(back->queue[0].qos == 1);
  REQUIRE(back->queue[1].msg != nullptr);
  CHECK(back->queue[1].msg->topic == "t/e");
  CHECK(back->queue[1].msg->payload == "pe");
  CHECK(back->queue[1].qos == 0);

  auto rel = back->awaiting_rel;
  std::sort(rel.begin(), rel.end());
  CHECK(rel == std::vector<std::uint16_t>{3, 9});

  REQUIRE(back->will != nullptr);
  CHECK(back->will->topic == "will/t");
  CHECK(back->will->payload == "bye");
  CHECK(back->will->qos == 1);
  CHECK(back->will->retain);
  mqtt::properties expected = f.s->will->props;
  expected.will_delay_interval.reset();
  CHECK(back->will->props == expected);
}

TEST_CASE("session codec: wall clock conversions") {
  CHECK(to_wall_ms(steady_clock::time_point{}) == 0);
  CHECK(from_wall_ms(0) == steady_clock::time_point{});
  const auto later = steady_clock::now() + 10s;
  const std::uint64_t wall = to_wall_ms(later);
  CHECK(wall >= wall_clock_ms() + 9000);
  CHECK(ms_apart(from_wall_ms(wall), later) > -2000);
  CHECK(ms_apart(from_wall_ms(wall), later) < 2000);
}

TEST_CASE("session codec: garbage and a wrong version are refused") {
  check_refused(std::string("\x12\x10"
                            "abc",
                            5),
                "not a stored session");
  check_refused(std::string(12, '\xff'), "not a stored session");
  check_refused("", "format");

  session s(1, "c", session_limits{});
  const std::string blob = encode_session(s, wall_clock_ms());
  REQUIRE(decode_session(blob).has_value());
  // A later value of a field wins when protobuf parses: this one sets version 3.
  check_refused(blob + std::string("\x08\x03", 2), "format");
  CHECK(decode_session(blob + std::string("\x08\x02", 2)).has_value());
}

TEST_CASE("session codec: values no session can hold are refused") {
  SUBCASE("a filter subscribed twice") {
    session s(1, "c", session_limits{});
    s.subscriptions().emplace("a/b", make_sub("", "a/b", 1));
    const std::string blob = encode_session(s, wall_clock_ms());
    REQUIRE(decode_session(blob).has_value());
    check_refused(blob + blob, "subscribed twice");  // repeated fields append
  }
  SUBCASE("an in-flight packet id 0") {
    session s(1, "c", session_limits{});
    s.restore_inflight(make_delivery(make_msg("t", "p", 1), 1), 0, session::waiting::puback);
    check_refused(encode_session(s, wall_clock_ms()), "in-flight packet id");
  }
  SUBCASE("an in-flight packet id used twice") {
    session s(1, "c", session_limits{});
    s.restore_inflight(make_delivery(make_msg("t", "p", 1), 1), 5, session::waiting::puback);
    s.restore_inflight(make_delivery(make_msg("u", "p", 1), 1), 5, session::waiting::puback);
    check_refused(encode_session(s, wall_clock_ms()), "in-flight packet id");
  }
  SUBCASE("a QoS 0 delivery in flight") {
    session s(1, "c", session_limits{});
    s.restore_inflight(make_delivery(make_msg("t", "p", 0), 0), 1, session::waiting::puback);
    check_refused(encode_session(s, wall_clock_ms()), "QoS 0 delivery is in flight");
  }
  SUBCASE("a message with QoS 3") {
    session s(1, "c", session_limits{});
    s.restore_queued(make_delivery(make_msg("t", "p", 3), 1));
    check_refused(encode_session(s, wall_clock_ms()), "a message has QoS above 2");
  }
  SUBCASE("a message with an invalid topic") {
    session s(1, "c", session_limits{});
    s.restore_queued(make_delivery(make_msg("a/#", "p", 1), 1));
    check_refused(encode_session(s, wall_clock_ms()), "invalid topic");
  }
}

TEST_CASE("session codec: a message held twice decodes to one shared object") {
  session s(1, "c", session_limits{});
  const message_ptr shared = make_msg("t/shared", "p", 1);
  s.restore_inflight(make_delivery(shared, 1), 1, session::waiting::puback);
  s.restore_queued(make_delivery(shared, 1));
  s.restore_queued(make_delivery(shared, 0));
  s.restore_queued(make_delivery(make_msg("t/other", "p", 1), 1));
  auto back = decode_session(encode_session(s, wall_clock_ms()));
  REQUIRE(back.has_value());
  REQUIRE(back->inflight.size() == 1);
  REQUIRE(back->queue.size() == 3);
  const message* one = back->inflight[0].d.msg.get();
  REQUIRE(one != nullptr);
  CHECK(one->topic == "t/shared");
  CHECK(back->queue[0].msg.get() == one);
  CHECK(back->queue[1].msg.get() == one);
  CHECK(back->queue[1].qos == 0);
  CHECK(back->queue[2].msg.get() != one);
  CHECK(back->queue[2].msg->topic == "t/other");
}

TEST_CASE("writes fuzz seeds when asked") {
  const char* dir = std::getenv("EMQX_CPP_WRITE_SESSION_SEEDS");
  if (dir == nullptr || !std::filesystem::is_directory(dir)) return;
  const auto now = steady_clock::now();
  const std::uint64_t saved_at = wall_clock_ms();

  // 1: a bare session with one subscription.
  session bare(1, "seed-bare", session_limits{});
  bare.subscriptions().emplace("a/b", make_sub("", "a/b", 0));
  // 2: messages in flight in each state, a queue, inbound QoS 2 ids.
  session busy(2, "seed-busy", session_limits{});
  busy.expiry_interval = 0xFFFFFFFF;
  busy.restore_inflight(make_delivery(make_msg("s/1", "one", 1), 1), 1, session::waiting::puback);
  busy.restore_inflight(make_delivery(make_msg("s/2", "two", 2), 2), 2, session::waiting::pubrec);
  busy.restore_inflight(make_delivery(nullptr, 2), 3, session::waiting::pubcomp);
  busy.restore_queued(make_delivery(make_msg("s/3", "three", 0), 0));
  busy.restore_awaiting_rel(7, now);
  busy.restore_last_packet_id(3);
  // 3: everything, with shared and exclusive subscriptions and a will.
  full_session everything(now);

  const std::string blobs[] = {encode_session(bare, saved_at), encode_session(busy, saved_at),
                               encode_session(*everything.s, saved_at, saved_at + 30000)};
  int n = 0;
  for (const auto& blob : blobs) {
    REQUIRE(decode_session(blob).has_value());  // a seed must be a valid session
    const auto path = std::filesystem::path(dir) / ("seed-" + std::to_string(++n));
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(blob.data(), static_cast<std::streamsize>(blob.size()));
    file.close();
    CHECK(file.good());
    CHECK(std::filesystem::file_size(path) == blob.size());
  }
}

}  // namespace
}  // namespace emqx_cpp::broker

TEST_CASE("a wall-clock instant centuries away is clamped, not overflowed (fuzz regression)") {
  // A stored expiry of ~280 billion seconds overflowed the steady clock's nanoseconds.
  const auto far = emqx_cpp::broker::from_wall_ms(280404231522751ULL * 1000);
  const auto left = far - emqx_cpp::broker::steady_clock::now();
  CHECK(left > std::chrono::hours(24 * 365 * 99));
  CHECK(left <= std::chrono::hours(24 * 366 * 101));
  CHECK(emqx_cpp::broker::from_wall_ms(0) == emqx_cpp::broker::steady_clock::time_point{});
}
