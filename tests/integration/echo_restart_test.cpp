// SPDX-License-Identifier: Apache-2.0
//
// The runtime end to end: the echo example's handler crashes on request, the supervisor
// restarts it with backoff, and clients connected before the crash keep their
// connections and get answers again. The restart shows in the log and the counter.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <csignal>
#include <string>
#include <thread>

#include "support/child_process.hpp"
#include "support/line_client.hpp"

using namespace emqx_cpp::testing;
using namespace std::chrono_literals;

namespace {
// Sends `line` until the echo comes back: right after a crash the handler may still be
// restarting, and the listener answers "error: handler restarting" meanwhile.
bool echo_eventually(line_client& c, const std::string& line, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!c.send_line(line)) return false;
    auto reply = c.read_line(1s);
    if (reply && *reply == line) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}
}  // namespace

TEST_CASE("echo: a crashing handler is restarted and other clients keep their connections") {
  const std::string log_path = std::string(TEST_OUTPUT_DIR) + "/echo_restart.stderr";
  child_process echo(ECHO_BINARY, {"--port", "0"}, log_path);
  auto banner = echo.wait_for_line("listening on", 10s);
  REQUIRE(banner);
  const int port = std::stoi(banner->substr(banner->rfind(':') + 1));

  line_client a("127.0.0.1", port);
  line_client b("127.0.0.1", port);
  REQUIRE(a.send_line("hello"));
  CHECK(a.read_line(5s) == "hello");
  REQUIRE(b.send_line("hi"));
  CHECK(b.read_line(5s) == "hi");

  REQUIRE(b.send_line("crash"));
  std::this_thread::sleep_for(50ms);
  CHECK(echo_eventually(a, "still here", 10s));
  CHECK(a.open());
  CHECK(b.open());
  CHECK(echo_eventually(b, "again", 10s));
  REQUIRE(a.send_line("stats"));
  CHECK(a.read_line(5s) == "restarts=1");

  REQUIRE(a.send_line("crash"));
  std::this_thread::sleep_for(50ms);
  CHECK(echo_eventually(b, "after second crash", 10s));
  REQUIRE(b.send_line("stats"));
  CHECK(b.read_line(5s) == "restarts=2");

  auto status = echo.stop(SIGTERM, 10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);

  const std::string log = read_file(log_path);
  CHECK(count_of(log,
                 "restart supervisor=echo_root child=echo_handler "
                 "reason=\"client asked the handler to crash\" attempt=1") == 1);
  CHECK(count_of(log,
                 "child=echo_handler reason=\"client asked the handler to crash\" "
                 "attempt=2") == 1);
  // The tree state logged at shutdown (keys come out sorted).
  CHECK(count_of(log,
                 "\"id\":\"echo_handler\",\"last_error\":\"client asked the handler to "
                 "crash\",\"restarts\":2") == 1);
}

TEST_CASE("echo: a bad option is refused with exit code 2") {
  const std::string log_path = std::string(TEST_OUTPUT_DIR) + "/echo_badopt.stderr";
  child_process echo(ECHO_BINARY, {"--port", "notaport"}, log_path);
  auto status = echo.wait_exit(10s);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(read_file(log_path).find("bad value for --port") != std::string::npos);
}
