#pragma once
/// Windows (umbrella header): assigners (window_assigners.hpp), triggers (window_triggers.hpp),
/// evictors (window_evictors.hpp), window functions (window_functions.hpp) and the window
/// operators (window_op.hpp for the common event-time case, triggered_window_op.hpp for the rest).
#include "eddy/operators/triggered_window_op.hpp"
#include "eddy/operators/window_assigners.hpp"
#include "eddy/operators/window_evictors.hpp"
#include "eddy/operators/window_functions.hpp"
#include "eddy/operators/window_op.hpp"
#include "eddy/operators/window_triggers.hpp"
