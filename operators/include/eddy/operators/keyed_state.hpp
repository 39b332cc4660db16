#pragma once
/// Keyed state and timers of one keyed operator subtask. They live in the runtime now, one concept
/// per header (each states its contract): runtime/state/keyed_state_backend.hpp (the backend),
/// state_handles.hpp (value_state, list_state, map_state, reducing_state, aggregating_state),
/// state_ttl.hpp (state_ttl_config) and timer_service.hpp (time_domain, timer_service). This
/// header includes them all, so existing includes keep working.
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/state_cells.hpp"
#include "eddy/runtime/state/state_handles.hpp"
#include "eddy/runtime/state/state_ttl.hpp"
#include "eddy/runtime/state/timer_service.hpp"
