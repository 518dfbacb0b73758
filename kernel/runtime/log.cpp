// SPDX-License-Identifier: Apache-2.0
#include "runtime/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>
#include <string>

namespace emqx_cpp::runtime {

namespace {
struct log_state {
  std::mutex mutex;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  spdlog::level::level_enum level = spdlog::level::info;
};

log_state& state() {
  static log_state s;
  return s;
}

constexpr const char* pattern = "%Y-%m-%dT%H:%M:%S.%e%z [%l] %n: %v";
}  // namespace

std::shared_ptr<spdlog::logger> logger_for(std::string_view subsystem) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  const std::string name(subsystem);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, s.sink);
  logger->set_pattern(pattern);
  logger->set_level(s.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

bool set_log_level(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when asked for by name.
  if (parsed == spdlog::level::off && level != "off") return false;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.level = parsed;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
  return true;
}

namespace {
void use_sink(spdlog::sink_ptr sink) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = std::move(sink);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().clear();
    l->sinks().push_back(s.sink);
    l->set_pattern(pattern);
  });
}
}  // namespace

void log_to_file(const std::string& path) {
  use_sink(std::make_shared<spdlog::sinks::basic_file_sink_mt>(path));
}

void log_to_stderr() {
  use_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

}  // namespace emqx_cpp::runtime
