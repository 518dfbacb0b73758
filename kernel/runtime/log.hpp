// SPDX-License-Identifier: Apache-2.0
//
// Logging through spdlog, one named logger per subsystem ("runtime", "net", "broker",
// "plugin", ...), all writing to one shared sink so lines never interleave mid-line.
// Structured fields are written as key=value pairs (logfmt), which both people and log
// shippers read.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace emqx_cpp::runtime {

// Returns the logger for `subsystem`, creating it on first use.
std::shared_ptr<spdlog::logger> logger_for(std::string_view subsystem);

// Sets the level of every current and future logger. Accepts spdlog's names
// (trace, debug, info, warning, error, critical, off); returns false for others.
bool set_log_level(std::string_view level);

// Sends every logger's output to `path` (appending) instead of stderr.
void log_to_file(const std::string& path);

// Sends every logger's output to stderr again (the default).
void log_to_stderr();

}  // namespace emqx_cpp::runtime
