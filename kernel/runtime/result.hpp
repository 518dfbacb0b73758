// SPDX-License-Identifier: Apache-2.0
//
// result<T>: a value or an error, for code that must not throw (data path, ABI edges).
// A small stand-in for C++23 std::expected, which libstdc++ 12 does not ship.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace emqx_cpp {

struct error {
  int code = 0;  // a subsystem's own code; MQTT 5 reason codes where one applies
  std::string message;
};

inline error make_error(std::string message, int code = 0) {
  return error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] result {
 public:
  result(T value)
      : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(error err)
      : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error err) : err_(std::move(err)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const error& err() const { return err_; }

 private:
  error err_;
  bool ok_ = true;
};

}  // namespace emqx_cpp
