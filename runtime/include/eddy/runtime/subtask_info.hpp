#pragma once
/// What an operator instance knows about where it runs. Passed to factories and `open()`.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "eddy/runtime/execution_config.hpp"

namespace eddy {

struct subtask_info {
  std::string job_name;
  std::string task_name;      ///< the chain's name, e.g. "Source: gen -> map -> filter"
  int index = 0;              ///< this subtask's index, 0-based
  int parallelism = 1;        ///< number of subtasks of this operator
  int max_parallelism = 128;  ///< number of key groups
  std::size_t batch_size = 1024;
  runtime_mode mode = runtime_mode::streaming;             ///< the job's runtime mode
  std::chrono::milliseconds auto_watermark_interval{200};  ///< periodic watermark interval
  std::chrono::milliseconds timer_resolution{10};          ///< processing-time timer precision
  std::function<std::int64_t()> clock;  ///< processing time (ms); null: the system clock
  bool checkpointing = false;           ///< the job takes checkpoints
  bool may_restart = false;             ///< a failure may restart the job (restart strategy)
};

}  // namespace eddy
