#include "eddy/operators/fusion.hpp"

#include <exception>
#include <stdexcept>

namespace eddy::fusion::detail {

void rethrow_in(const operator_base& op) {
  try {
    throw;
  } catch (const operator_error&) {
    throw;
  } catch (const std::exception& e) {
    throw operator_error(op.name(), op.info().index, op.info().parallelism, e.what());
  } catch (...) {
    throw operator_error(op.name(), op.info().index, op.info().parallelism, "unknown exception");
  }
}

}  // namespace eddy::fusion::detail
