// SPDX-License-Identifier: Apache-2.0
//
// Sessions across a restart with a session store: fx_store (ABI 1.1: completion-style
// calls, listing, changes) and fx_sessions (a 1.0 provider). SIGTERM saves every
// persistent session whole; at start the store lists them, their routes come back at
// once, and what they had in flight and queued is loaded when their client returns.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/eventually.hpp"
#include "support/fixture_broker.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
std::string fresh_store(const std::string& name) {
  const auto dir = std::filesystem::path(TEST_OUTPUT_DIR) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

mqtt::connect_packet persistent(const std::string& id) {
  mqtt::connect_packet cp;
  cp.client_id = id;
  cp.clean_start = false;
  cp.props.session_expiry_interval = 600;
  return cp;
}
}  // namespace

TEST_CASE("a restart restores a QoS 1 session: subscriptions, in flight, queued, routed again") {
  const std::string dir = fresh_store("store-restart");
  const std::vector<std::string> env = {"EMQX_CPP_PLUGINS__FX_STORE__DIR=" + dir};
  std::uint16_t inflight_id = 0;
  {
    fixture_broker b("store_restart_1", "fx_store", env);
    mqtt_client sub("127.0.0.1", b.port());
    auto ack = sub.connect(persistent("keeper"));
    REQUIRE(ack);
    CHECK_FALSE(ack->session_present);
    REQUIRE(sub.subscribe("rs/#", 1));
    mqtt_client pub("127.0.0.1", b.port());
    REQUIRE(pub.connect("rs-pub"));
    REQUIRE(pub.publish("rs/1", "in flight", 1, false, 1));
    auto first = sub.expect<mqtt::publish_packet>();
    REQUIRE(first);
    inflight_id = first->packet_id;  // not acknowledged
    sub.close();
    std::this_thread::sleep_for(300ms);
    REQUIRE(pub.publish("rs/2", "queued 1", 1, false, 2));
    REQUIRE(pub.publish("rs/3", "queued 2", 1, false, 3));
    const auto st = b.broker->stop();
    REQUIRE(st);
    CHECK(WIFEXITED(*st));
    CHECK(WEXITSTATUS(*st) == 0);
  }
  fixture_broker b("store_restart_2", "fx_store", env);
  CHECK(b.broker->log().find("sessions_restored count=1 from=session_store") != std::string::npos);
  // Routed before its client is back: this one is queued for it too.
  mqtt_client pub("127.0.0.1", b.port());
  REQUIRE(pub.connect("rs-pub"));
  auto ack4 = [&] {
    mqtt::publish_packet p;
    p.topic = "rs/4";
    p.payload = "after the restart";
    p.qos = 1;
    p.packet_id = 4;
    REQUIRE(pub.send(p));
    return pub.expect<mqtt::ack_packet>();
  }();
  REQUIRE(ack4);
  CHECK(ack4->code == mqtt::reason_code::success);  // not "no matching subscribers"

  mqtt_client sub("127.0.0.1", b.port());
  auto ack = sub.connect(persistent("keeper"));
  REQUIRE(ack);
  CHECK(ack->session_present);
  std::vector<mqtt::publish_packet> got;
  while (auto p = sub.expect<mqtt::publish_packet>(1500ms)) {
    mqtt::ack_packet a;
    a.packet_id = p->packet_id;
    REQUIRE(sub.send(a));
    got.push_back(std::move(*p));
  }
  REQUIRE(got.size() == 4);
  CHECK(got[0].payload == "in flight");
  CHECK(got[0].dup);
  CHECK(got[0].packet_id == inflight_id);
  CHECK(got[1].payload == "queued 1");
  CHECK(got[2].payload == "queued 2");
  CHECK(got[3].payload == "after the restart");
  CHECK(b.broker->log().find("session_state_loaded client=keeper from=session_store") !=
        std::string::npos);
}

TEST_CASE("a clean start or a new client does not touch the store; a discarded session once") {
  const std::string dir = fresh_store("store-touches");
  fixture_broker b("store_touches", "fx_store",
                   {"EMQX_CPP_PLUGINS__FX_STORE__DIR=" + dir, "EMQX_CPP_LOG__LEVEL=debug"});
  // A new client resuming nothing, and a clean start of an unknown client: no load, no
  // erase (fx_store loads on a thread of its own and would log nothing, so the broker's
  // own debug lines are what the test counts).
  mqtt_client fresh("127.0.0.1", b.port());
  auto ack = fresh.connect(persistent("never-seen"));
  REQUIRE(ack);
  CHECK_FALSE(ack->session_present);
  fresh.close();
  mqtt_client clean("127.0.0.1", b.port());
  REQUIRE(clean.connect("clean-one"));
  CHECK(b.broker->log().find("provider_timeout") == std::string::npos);
  CHECK(b.broker->log().find("session_state_loaded") == std::string::npos);
  // never-seen left with expiry 600: saved once. A clean start now discards it from the store.
  REQUIRE(eventually([&] {
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().filename().string().rfind("s-", 0) == 0) return true;
    return false;
  }));
  mqtt::connect_packet again = persistent("never-seen");
  again.clean_start = true;
  again.props.session_expiry_interval = 0;  // and the new session ends with its connection
  mqtt_client discard("127.0.0.1", b.port());
  REQUIRE(discard.connect(again));
  CHECK(eventually([&] {
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().filename().string().rfind("s-", 0) == 0) return false;
    return true;
  }));
}

TEST_CASE("changes to persistent sessions reach the store, and PUBACK waits until they are kept") {
  const std::string dir = fresh_store("store-journal");
  fixture_broker b(
      "store_journal", "fx_store",
      {"EMQX_CPP_PLUGINS__FX_STORE__DIR=" + dir, "EMQX_CPP_PLUGINS__FX_STORE__APPLY_DELAY_MS=500"});
  const std::string journal = dir + "/journal.log";
  auto journal_text = [&] {
    std::ifstream in(journal);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  {
    mqtt_client sub("127.0.0.1", b.port());
    REQUIRE(sub.connect(persistent("journaled")));
    REQUIRE(sub.subscribe("j/#", 1));
    REQUIRE(sub.send(mqtt::disconnect_packet{}));
  }
  CHECK(eventually([&] {
    return journal_text().find("subscribed client=journaled pid=0 filter=j/#") != std::string::npos;
  }));

  mqtt_client pub("127.0.0.1", b.port());
  REQUIRE(pub.connect("journal-pub"));
  auto timed_publish = [&](const std::string& topic, std::uint16_t id) {
    mqtt::publish_packet p;
    p.topic = topic;
    p.payload = "p" + std::to_string(id);
    p.qos = 1;
    p.packet_id = id;
    REQUIRE(pub.send(p));
  };
  // To a persistent session: held until the store confirms (500 ms in this fixture).
  auto start = std::chrono::steady_clock::now();
  timed_publish("j/1", 1);
  auto ack = pub.expect<mqtt::ack_packet>(5s);
  REQUIRE(ack);
  CHECK(ack->packet_id == 1);
  CHECK(std::chrono::steady_clock::now() - start >= 450ms);
  CHECK(journal_text().find("appended client=journaled pid=0 topic=j/1 payload=p1 qos=1") !=
        std::string::npos);
  // To nobody persistent: not held.
  start = std::chrono::steady_clock::now();
  timed_publish("other/x", 2);
  ack = pub.expect<mqtt::ack_packet>(5s);
  REQUIRE(ack);
  CHECK(std::chrono::steady_clock::now() - start < 400ms);
  // Acknowledgements keep the order of the PUBLISH packets even when only the first waits.
  timed_publish("j/3", 3);
  timed_publish("other/y", 4);
  auto first = pub.expect<mqtt::ack_packet>(5s);
  auto second = pub.expect<mqtt::ack_packet>(5s);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->packet_id == 3);
  CHECK(second->packet_id == 4);

  // The client comes back and acknowledges: sent, then done.
  mqtt_client sub("127.0.0.1", b.port());
  auto back = sub.connect(persistent("journaled"));
  REQUIRE(back);
  CHECK(back->session_present);
  for (int i = 0; i < 2; ++i) {
    auto got = sub.expect<mqtt::publish_packet>();
    REQUIRE(got);
    mqtt::ack_packet a;
    a.packet_id = got->packet_id;
    REQUIRE(sub.send(a));
  }
  CHECK(eventually([&] {
    const auto t = journal_text();
    return t.find("sent client=journaled pid=") != std::string::npos &&
           t.find("done client=journaled pid=") != std::string::npos;
  }));
}
