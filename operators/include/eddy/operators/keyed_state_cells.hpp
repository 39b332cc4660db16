#pragma once
/// Moved to the runtime: the internals of the keyed state backend are in
/// eddy/runtime/state/state_cells.hpp (see its contract). Kept so existing includes keep working.
#include "eddy/runtime/state/state_cells.hpp"
