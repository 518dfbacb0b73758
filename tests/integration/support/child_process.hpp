// SPDX-License-Identifier: Apache-2.0
//
// Starts a program under test as a child process, reads its stdout line by line and
// sends its stderr to a file, so a test can wait for "listening on" and later grep the
// log. The destructor stops the child by PID (SIGTERM, then SIGKILL) and reaps it.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace emqx_cpp::testing {

class child_process {
 public:
  // `env` entries ("NAME=value") are added to this process's environment.
  child_process(const std::string& program, const std::vector<std::string>& args,
                const std::string& stderr_path, const std::vector<std::string>& env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // Next stdout line, or std::nullopt after `timeout` or at end of output.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Reads stdout until a line contains `needle`; returns that line.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);

  // Sends `sig` and waits up to `timeout` for the exit; returns the exit status as
  // waitpid reports it, or std::nullopt if it is still running.
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit by itself.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) { return stop(0, timeout); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

// Whole contents of a file ("" if it cannot be read).
std::string read_file(const std::string& path);

// Counts occurrences of `needle` in `haystack`.
std::size_t count_of(const std::string& haystack, const std::string& needle);

}  // namespace emqx_cpp::testing
