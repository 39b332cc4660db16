#pragma once
// Catch2 helper shared by the operator tests (test code only).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "eddy/runtime/operator.hpp"

namespace eddy::testing {

/// Runs `fn` and returns the operator_error it throws (fails the test if it throws nothing or
/// something else).
template <class Fn>
eddy::operator_error expect_operator_error(Fn&& fn) {
  try {
    fn();
  } catch (const eddy::operator_error& e) {
    return e;
  } catch (const std::exception& e) {
    FAIL("expected eddy::operator_error, got std::exception: " << e.what());
  }
  FAIL("expected eddy::operator_error, nothing was thrown");
  throw std::logic_error("unreachable");
}

}  // namespace eddy::testing
