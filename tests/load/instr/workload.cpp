// SPDX-License-Identifier: Apache-2.0
//
// The fixed workload of the instruction-count gate (scripts/perf-gate): phases of
// closed-loop traffic against a broker on --port, each preceded by a line "phase NAME
// COUNT" on stdout and started only when a line arrives on stdin, so the gate can zero
// the broker's counters before a phase and dump them after it ("done NAME" on stdout).
// Every message is awaited before the next is sent (a window of one), so the broker
// does the same work in every run: no batching that depends on timing.
//
//   qos0     20,000 QoS 0 messages, one publisher, one subscriber
//   qos1     10,000 QoS 1 messages, PUBACK from the broker and from the subscriber (with
//            a PINGREQ, answered before the next message)
//   fanout   2,000 QoS 0 messages, one publisher, ten subscribers
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/mqtt_client.hpp"

using emqx_cpp::testing::mqtt_client;
namespace mqtt = emqx_cpp::mqtt;

namespace {

struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void die(const std::string& why) {
  throw failure(why);
}

std::unique_ptr<mqtt_client> client(int port, const std::string& id) {
  auto c = std::make_unique<mqtt_client>("127.0.0.1", port, mqtt::protocol_version::v3_1_1);
  if (!c->connect(id, true, 600)) die("connect " + id);
  return c;
}

void wait_for_go(const std::string& phase, int count) {
  std::cout << "phase " << phase << " " << count << std::endl;
  std::string line;
  if (!std::getline(std::cin, line)) die("no go for " + phase);
}

void done(const std::string& phase) {
  std::cout << "done " << phase << std::endl;
  std::string line;
  if (!std::getline(std::cin, line)) die("no ack for " + phase);
}

void receive(mqtt_client& sub, std::uint8_t qos) {
  auto p = sub.expect<mqtt::publish_packet>(std::chrono::seconds(30));
  if (!p) die("a message did not arrive");
  if (qos == 0) return;
  // PUBACK and a PINGREQ in one write, then wait for the PINGRESP: the broker has read
  // the PUBACK before the next message is published. Without it the PUBACK and the next
  // PUBLISH reach the broker in one loop iteration or in two, as the scheduler decides,
  // and the count moves by a few percent from run to run.
  mqtt::ack_packet a;
  a.packet_id = p->packet_id;
  std::string bytes;
  mqtt::encode_ack(a, sub.version(), bytes);
  mqtt::encode_pingreq(bytes);
  if (!sub.send_raw(bytes)) die("puback");
  if (!sub.expect<mqtt::pingresp_packet>(std::chrono::seconds(30))) die("no pingresp");
}

void run(int port, const std::string& name, int count, int subscribers, std::uint8_t qos) {
  auto pub = client(port, name + "-pub");
  std::vector<std::unique_ptr<mqtt_client>> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(client(port, name + "-sub" + std::to_string(i)));
    if (!subs.back()->subscribe("gate/" + name, qos)) die("subscribe");
  }
  const std::string payload(64, 'x');
  // One message before the measurement: first-use allocations stay out of it.
  for (int warm = 0; warm < 2; ++warm) {
    if (!pub->publish("gate/" + name, payload, qos, false, 1)) die("publish");
    for (auto& s : subs)
      receive(*s, qos);
  }
  wait_for_go(name, count * subscribers);
  for (int i = 0; i < count; ++i) {
    mqtt::publish_packet p;
    p.qos = qos;
    p.topic = "gate/" + name;
    p.payload = payload;
    p.packet_id = qos == 0 ? 0 : static_cast<std::uint16_t>(i % 60000 + 1);
    if (!pub->send(p)) die("publish");
    if (qos > 0 && !pub->expect<mqtt::ack_packet>(std::chrono::seconds(30))) die("no puback");
    for (auto& s : subs)
      receive(*s, qos);
  }
  done(name);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--port") {
    std::cerr << "usage: perf-gate-workload --port PORT\n";
    return 2;
  }
  try {
    const int port = std::stoi(argv[2]);
    run(port, "qos0", 20000, 1, 0);
    run(port, "qos1", 10000, 1, 1);
    run(port, "fanout", 2000, 10, 0);
  } catch (const std::exception& e) {
    std::cerr << "perf-gate workload: " << e.what() << "\n";
    return 1;
  }
  std::cout << "finished" << std::endl;
  return 0;
}
