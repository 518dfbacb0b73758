// SPDX-License-Identifier: Apache-2.0
#include "runtime/log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

using namespace emqx_cpp::runtime;

TEST_CASE("one logger per subsystem, levels by name, output to a file") {
  auto a = logger_for("test_sub");
  CHECK(a == logger_for("test_sub"));
  CHECK(a->name() == "test_sub");
  CHECK_FALSE(set_log_level("loud"));
  REQUIRE(set_log_level("warning"));
  CHECK(a->level() == spdlog::level::warn);
  const std::string path = "/tmp/emqx_cpp_log_test_" + std::to_string(getpid()) + ".log";
  log_to_file(path);
  a->info("hidden line");
  a->warn("restart child={} attempt={}", "x", 2);
  logger_for("late_sub")->error("late logger shares the sink");
  a->flush();
  logger_for("late_sub")->flush();
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("hidden line") == std::string::npos);
  CHECK(text.str().find("[warning] test_sub: restart child=x attempt=2") != std::string::npos);
  CHECK(text.str().find("late_sub: late logger shares the sink") != std::string::npos);
  REQUIRE(set_log_level("off"));
  REQUIRE(set_log_level("info"));
  log_to_stderr();
  unlink(path.c_str());
}
