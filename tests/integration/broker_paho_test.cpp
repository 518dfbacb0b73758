// SPDX-License-Identifier: Apache-2.0
//
// The broker driven by the Eclipse Paho C client (synchronous API), MQTT 3.1.1 and
// 5.0: QoS 0/1/2 both ways, retained, will, persistent session, takeover and shared
// subscriptions — what an application built on Paho sees.
#include <MQTTClient.h>
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>

#include "support/broker_under_test.hpp"

using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
class paho {
 public:
  paho(int port, const std::string& id, bool v5) : v5_(v5) {
    const std::string uri = "tcp://127.0.0.1:" + std::to_string(port);
    MQTTClient_createOptions opts = MQTTClient_createOptions_initializer;
    opts.MQTTVersion = v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    REQUIRE(MQTTClient_createWithOptions(&c_, uri.c_str(), id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                         nullptr, &opts) == MQTTCLIENT_SUCCESS);
  }
  ~paho() {
    if (MQTTClient_isConnected(c_) != 0) MQTTClient_disconnect(c_, 1000);
    MQTTClient_destroy(&c_);
  }
  paho(const paho&) = delete;
  paho& operator=(const paho&) = delete;

  // Returns the CONNACK reason (0 = accepted).
  int connect(bool clean, const std::string& will_topic = {}) {
    MQTTClient_connectOptions v3_opts = MQTTClient_connectOptions_initializer;
    MQTTClient_connectOptions v5_opts = MQTTClient_connectOptions_initializer5;
    MQTTClient_connectOptions o = v5_ ? v5_opts : v3_opts;
    o.keepAliveInterval = 30;
    MQTTClient_willOptions w = MQTTClient_willOptions_initializer;
    if (!will_topic.empty()) {
      w.topicName = will_topic.c_str();
      w.message = "paho-will";
      w.qos = 1;
      o.will = &w;
    }
    MQTTProperties props = MQTTProperties_initializer;
    if (v5_) {
      o.cleanstart = clean ? 1 : 0;
      MQTTProperty expiry;
      expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
      expiry.value.integer4 = clean ? 0 : 300;
      MQTTProperties_add(&props, &expiry);
      MQTTResponse r = MQTTClient_connect5(c_, &o, &props, nullptr);
      MQTTProperties_free(&props);
      const int rc = r.reasonCode;
      MQTTResponse_free(r);
      return rc;
    }
    o.cleansession = clean ? 1 : 0;
    const int rc = MQTTClient_connect(c_, &o);
    return rc;
  }

  bool subscribe(const std::string& filter, int qos) {
    if (v5_) {
      MQTTResponse r = MQTTClient_subscribe5(c_, filter.c_str(), qos, nullptr, nullptr);
      const bool ok = r.reasonCode == qos;
      MQTTResponse_free(r);
      return ok;
    }
    return MQTTClient_subscribe(c_, filter.c_str(), qos) == MQTTCLIENT_SUCCESS;
  }

  bool publish(const std::string& topic, const std::string& payload, int qos, bool retain = false) {
    MQTTClient_deliveryToken token = 0;
    if (v5_) {
      MQTTProperties props = MQTTProperties_initializer;
      MQTTProperty up;
      up.identifier = MQTTPROPERTY_CODE_USER_PROPERTY;
      up.value.data.data = const_cast<char*>("origin");
      up.value.data.len = 6;
      up.value.value.data = const_cast<char*>("paho");
      up.value.value.len = 4;
      MQTTProperties_add(&props, &up);
      MQTTResponse r = MQTTClient_publish5(c_, topic.c_str(), static_cast<int>(payload.size()),
                                           payload.data(), qos, retain ? 1 : 0, &props, &token);
      MQTTProperties_free(&props);
      const bool sent = r.reasonCode < 0x80;
      MQTTResponse_free(r);
      if (!sent) return false;
    } else if (MQTTClient_publish(c_, topic.c_str(), static_cast<int>(payload.size()),
                                  payload.data(), qos, retain ? 1 : 0,
                                  &token) != MQTTCLIENT_SUCCESS) {
      return false;
    }
    return qos == 0 || MQTTClient_waitForCompletion(c_, token, 5000) == MQTTCLIENT_SUCCESS;
  }

  struct received {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retained = false;
    std::string user_origin;
  };
  std::optional<received> receive(int timeout_ms = 3000) {
    char* topic = nullptr;
    int topic_len = 0;
    MQTTClient_message* m = nullptr;
    const int rc = MQTTClient_receive(c_, &topic, &topic_len, &m, timeout_ms);
    if (rc != MQTTCLIENT_SUCCESS || m == nullptr) {
      if (topic != nullptr) MQTTClient_free(topic);
      return std::nullopt;
    }
    received out;
    out.topic = topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : topic;
    out.payload.assign(static_cast<const char*>(m->payload),
                       static_cast<std::size_t>(m->payloadlen));
    out.qos = m->qos;
    out.retained = m->retained != 0;
    if (v5_) {
      MQTTProperty* p = MQTTProperties_getProperty(&m->properties, MQTTPROPERTY_CODE_USER_PROPERTY);
      if (p != nullptr)
        out.user_origin.assign(p->value.value.data, static_cast<std::size_t>(p->value.value.len));
    }
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return out;
  }

  bool connected() { return MQTTClient_isConnected(c_) != 0; }
  // MQTT 5 DISCONNECT with reason 0x04: leave and have the will published.
  void leave_with_will() {
    MQTTClient_disconnect5(c_, 1000, MQTTREASONCODE_DISCONNECT_WITH_WILL_MESSAGE, nullptr);
  }

 private:
  MQTTClient c_ = nullptr;
  bool v5_;
};
}  // namespace

TEST_CASE("Paho C: QoS 0, 1 and 2 in both directions over 3.1.1 and 5.0") {
  broker_under_test broker("paho_qos");
  for (bool v5 : {false, true}) {
    CAPTURE(v5);
    paho sub(broker.port(), v5 ? "paho-sub5" : "paho-sub3", v5);
    REQUIRE(sub.connect(true) == 0);
    REQUIRE(sub.subscribe("paho/qos/#", 2));
    paho pub(broker.port(), v5 ? "paho-pub5" : "paho-pub3", v5);
    REQUIRE(pub.connect(true) == 0);
    for (int qos = 0; qos <= 2; ++qos)
      REQUIRE(pub.publish("paho/qos/" + std::to_string(qos), "q" + std::to_string(qos), qos));
    for (int qos = 0; qos <= 2; ++qos) {
      auto m = sub.receive();
      REQUIRE(m);
      CHECK(m->topic == "paho/qos/" + std::to_string(qos));
      CHECK(m->payload == "q" + std::to_string(qos));
      CHECK(m->qos == qos);
      if (v5) CHECK(m->user_origin == "paho");
    }
  }
}

TEST_CASE("Paho C: retained message for a late subscriber") {
  broker_under_test broker("paho_retained");
  paho pub(broker.port(), "paho-ret-pub", true);
  REQUIRE(pub.connect(true) == 0);
  REQUIRE(pub.publish("paho/ret", "state=on", 1, true));
  paho sub(broker.port(), "paho-ret-sub", false);
  REQUIRE(sub.connect(true) == 0);
  REQUIRE(sub.subscribe("paho/#", 1));
  auto m = sub.receive();
  REQUIRE(m);
  CHECK(m->payload == "state=on");
  CHECK(m->retained);
}

TEST_CASE("Paho C: the will of a client that leaves with DISCONNECT 0x04") {
  broker_under_test broker("paho_will");
  paho watcher(broker.port(), "paho-will-watch", false);
  REQUIRE(watcher.connect(true) == 0);
  REQUIRE(watcher.subscribe("paho/will", 1));
  {
    paho doomed(broker.port(), "paho-doomed", true);
    REQUIRE(doomed.connect(true, "paho/will") == 0);
    doomed.leave_with_will();
  }
  auto m = watcher.receive(5000);
  REQUIRE(m);
  CHECK(m->payload == "paho-will");
}

TEST_CASE("Paho C: a persistent session collects messages while the client is away") {
  broker_under_test broker("paho_persistent");
  for (bool v5 : {false, true}) {
    CAPTURE(v5);
    const std::string id = v5 ? "paho-persist5" : "paho-persist3";
    {
      paho c(broker.port(), id, v5);
      REQUIRE(c.connect(false) == 0);
      REQUIRE(c.subscribe("paho/persist/" + id, 1));
    }
    paho pub(broker.port(), id + "-pub", v5);
    REQUIRE(pub.connect(true) == 0);
    for (int i = 0; i < 3; ++i)
      REQUIRE(pub.publish("paho/persist/" + id, std::to_string(i), 1));
    paho back(broker.port(), id, v5);
    REQUIRE(back.connect(false) == 0);
    for (int i = 0; i < 3; ++i) {
      auto m = back.receive();
      REQUIRE(m);
      CHECK(m->payload == std::to_string(i));
    }
  }
}

TEST_CASE("Paho C: a second connection with the same client id takes over") {
  broker_under_test broker("paho_takeover");
  paho first(broker.port(), "paho-same", true);
  REQUIRE(first.connect(true) == 0);
  paho second(broker.port(), "paho-same", true);
  REQUIRE(second.connect(true) == 0);
  for (int i = 0; i < 50 && first.connected(); ++i) {
    first.receive(100);  // lets the client notice the DISCONNECT
  }
  CHECK_FALSE(first.connected());
  CHECK(second.connected());
}

TEST_CASE("Paho C: shared subscription spreads messages over the group") {
  broker_under_test broker("paho_shared");
  paho a(broker.port(), "paho-share-a", true);
  paho b(broker.port(), "paho-share-b", true);
  REQUIRE(a.connect(true) == 0);
  REQUIRE(b.connect(true) == 0);
  REQUIRE(a.subscribe("$share/pg/paho/work", 1));
  REQUIRE(b.subscribe("$share/pg/paho/work", 1));
  paho pub(broker.port(), "paho-share-pub", true);
  REQUIRE(pub.connect(true) == 0);
  for (int i = 0; i < 20; ++i)
    REQUIRE(pub.publish("paho/work", std::to_string(i), 1));
  int na = 0;
  int nb = 0;
  while (a.receive(700))
    ++na;
  while (b.receive(700))
    ++nb;
  CHECK(na + nb == 20);
  CHECK(na > 0);
  CHECK(nb > 0);
}
