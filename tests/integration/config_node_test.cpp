// SPDX-License-Identifier: Apache-2.0
//
// [node], listener and [log] keys, observed from outside the broker process: its
// threads, its sockets (ss, and a socket option read through pidfd_getfd), its $SYS
// topics and its log.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/broker_under_test.hpp"
#include "support/eventually.hpp"
#include "support/mqtt_client.hpp"

using namespace emqx_cpp;
using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
constexpr const char* host = "127.0.0.1";

std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p) != nullptr)
      out += buf;
    pclose(p);
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Names of the broker's threads.
std::vector<std::string> thread_names(pid_t pid) {
  std::vector<std::string> names;
  for (const auto& t :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::string name = slurp(t.path().string() + "/comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    names.push_back(name);
  }
  return names;
}

// TCP_NODELAY on the broker's end of the connection whose client side is `client_port`:
// the socket is found by its inode in /proc and copied into this process with
// pidfd_getfd (Linux 5.6), so the option is read from the very socket the broker uses.
std::optional<int> broker_nodelay(pid_t pid, int broker_port, int client_port) {
  std::string inode;
  std::istringstream tcp(slurp("/proc/" + std::to_string(pid) + "/net/tcp"));
  std::string line;
  char local[64];
  char remote[64];
  while (std::getline(tcp, line)) {
    unsigned long ino = 0;
    if (std::sscanf(line.c_str(), "%*d: %63s %63s %*x %*s %*s %*s %*d %*d %lu", local, remote,
                    &ino) != 3)
      continue;
    const auto port_of = [](const char* addr) {
      return static_cast<int>(
          std::stoul(std::string(addr).substr(std::string(addr).find(':') + 1), nullptr, 16));
    };
    if (port_of(local) == broker_port && port_of(remote) == client_port)
      inode = std::to_string(ino);
  }
  if (inode.empty()) return std::nullopt;
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  std::optional<int> result;
  for (const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (ec || target != "socket:[" + inode + "]") continue;
    const int remote_fd = std::stoi(fd.path().filename().string());
    const int mine = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0));
    if (mine < 0) break;
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(mine, IPPROTO_TCP, TCP_NODELAY, &value, &len) == 0) result = value != 0 ? 1 : 0;
    close(mine);
    break;
  }
  close(pidfd);
  return result;
}

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}
}  // namespace

TEST_CASE("node.name names the node in its $SYS topics") {
  broker_under_test broker("node_name", {"EMQX_CPP_NODE__NAME=edge7@example.net"});
  mqtt_client c(host, broker.port());
  REQUIRE(c.connect("name-reader"));
  REQUIRE(c.subscribe("$SYS/brokers/edge7@example.net/version", 0));
  auto got = c.expect<mqtt::publish_packet>();
  REQUIRE(got);
  CHECK(got->retain);
}

TEST_CASE("node.worker_threads sets the number of I/O worker threads") {
  broker_under_test broker("node_workers", {"EMQX_CPP_NODE__WORKER_THREADS=3"});
  auto workers = [&] {
    int n = 0;
    for (const auto& name : thread_names(broker.process().pid()))
      n += name.rfind("io-worker-", 0) == 0 ? 1 : 0;
    return n;
  };
  // Each worker names its thread as it starts.
  CHECK(eventually([&] { return workers() == 3; }, 5s));
  std::this_thread::sleep_for(200ms);
  CHECK(workers() == 3);
}

TEST_CASE("listeners: enable = false keeps one closed; backlog is the listen queue") {
  broker_under_test broker("listener_keys", {"EMQX_CPP_LISTENERS__TCP__DEFAULT__BACKLOG=77",
                                             "EMQX_CPP_LISTENERS__TCP__SPARE__BIND=127.0.0.1:0",
                                             "EMQX_CPP_LISTENERS__TCP__SPARE__ENABLE=false"});
  CHECK(broker.port_of("spare") == 0);
  // ss shows a listening socket's backlog in its Send-Q column.
  const std::string ss = run("ss -ltnH 'sport = :" + std::to_string(broker.port()) + "'");
  CAPTURE(ss);
  std::istringstream in(ss);
  std::string state;
  std::string recv_q;
  std::string send_q;
  in >> state >> recv_q >> send_q;
  CHECK(state == "LISTEN");
  CHECK(send_q == "77");
}

TEST_CASE("listeners.tcp.<name>.nodelay sets TCP_NODELAY on accepted connections") {
  for (const bool nodelay : {true, false}) {
    CAPTURE(nodelay);
    broker_under_test broker(
        nodelay ? "nodelay_on" : "nodelay_off",
        {std::string("EMQX_CPP_LISTENERS__TCP__DEFAULT__NODELAY=") + (nodelay ? "true" : "false")});
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(broker.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    std::this_thread::sleep_for(200ms);  // accepted by a worker
    const auto value = broker_nodelay(broker.process().pid(), broker.port(), local_port(fd));
    close(fd);
    REQUIRE(value);
    CHECK(*value == (nodelay ? 1 : 0));
  }
}

TEST_CASE("listeners.tcp.<name>.high_watermark: less unsent output is kept for a slow reader") {
  // A subscriber that does not read while 600 QoS 0 messages of 64 KiB are published:
  // what the kernel's socket buffers cannot take waits in the connection's output up to
  // the high-water mark, and beyond it in the session queue; with QoS 0 not queued
  // (mqueue_store_qos0 = false) it is dropped instead. A 16 MiB mark keeps 256 more messages
  // than a 1 KiB one; the kernel's buffers are autotuned and vary from run to run by
  // dozens of messages, so the check asks for half of that margin.
  auto delivered = [](const std::string& mark) {
    broker_under_test broker(
        "high_watermark_" + mark,
        {"EMQX_CPP_LISTENERS__TCP__DEFAULT__HIGH_WATERMARK=" + mark, "EMQX_CPP_LOG__LEVEL=info",
         "EMQX_CPP_MQTT__MQUEUE_STORE_QOS0=false"});
    mqtt_client sub(host, broker.port());
    REQUIRE(sub.connect("slow-reader"));
    REQUIRE(sub.subscribe("hw/t", 0));
    mqtt_client pub(host, broker.port());
    REQUIRE(pub.connect("fast-writer"));
    const std::string payload(std::size_t{64} * 1024, 'x');
    for (int i = 0; i < 600; ++i)
      REQUIRE(pub.publish("hw/t", payload, 0));
    REQUIRE(pub.ping());
    int n = 0;
    while (sub.expect<mqtt::publish_packet>(1s))
      ++n;
    return n;
  };
  const int small = delivered("1KB");
  const int large = delivered("16MB");
  CAPTURE(small);
  CAPTURE(large);
  CHECK(small < 600);
  CHECK(large >= small + 128);
}

TEST_CASE("log.level and log.file: where the log goes and how much of it") {
  const auto file = (std::filesystem::path(TEST_OUTPUT_DIR) / "log_file_test.log").string();
  std::filesystem::remove(file);
  {
    broker_under_test broker("log_to_file",
                             {"EMQX_CPP_LOG__FILE=" + file, "EMQX_CPP_LOG__LEVEL=info"});
    mqtt_client c(host, broker.port());
    REQUIRE(c.connect("logged"));
  }
  const std::string text = slurp(file);
  CHECK(text.find("listener_started name=tcp:default") != std::string::npos);
  CHECK(text.find("[debug]") == std::string::npos);

  broker_under_test quiet("log_warning", {"EMQX_CPP_LOG__LEVEL=warning"});
  mqtt_client c(host, quiet.port());
  REQUIRE(c.connect("unlogged"));
  CHECK(quiet.log().find("listener_started") == std::string::npos);
}
