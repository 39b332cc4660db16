#pragma once
/// Moved to the runtime: state_ttl_config (Flink's StateTtlConfig) is in
/// eddy/runtime/state/state_ttl.hpp (see its contract). Kept so existing includes keep working.
#include "eddy/runtime/state/state_ttl.hpp"
