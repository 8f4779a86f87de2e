// Result<T>: the value of an operation that can fail, or the Error that says why.
// Every fallible call below the process edge returns one; exceptions are caught and
// converted once, at session and process boundaries. Not thread-aware: a plain value.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace leasehold {

enum class Errc {
  invalid_argument,  // the caller's input is wrong
  not_found,
  conflict,          // the change collides with existing state
  exhausted,         // no free resource (e.g. addresses)
  corruption,        // stored or received data is inconsistent
  io,                // the operating system or a database failed
  unavailable,       // temporarily unable to serve (e.g. shutting down)
};

const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}     // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_{Errc::invalid_argument, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace leasehold
