#include <filesystem>
#include <stdexcept>

#include "eddy/operators/datastream.hpp"
#include "sample_job.hpp"
#include "sensors.hpp"
#include "wordcount.hpp"

namespace eddy::samples {

namespace {

void require_readable_file(const std::string& flag, const std::string& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st))
    throw std::invalid_argument(flag + ": no such file '" + path + "'");
  if (std::filesystem::is_directory(st))
    throw std::invalid_argument(flag + ": '" + path + "' is a directory, expected a file");
}

/// The output directory must be new or empty: part files of an earlier run (with another
/// parallelism, say) would otherwise silently mix into this run's output.
void require_output_dir(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  if (!std::filesystem::is_directory(path, ec))
    throw std::invalid_argument(flag + ": '" + path + "' exists and is not a directory");
  if (!std::filesystem::is_empty(path, ec))
    throw std::invalid_argument(flag + ": directory '" + path +
                                "' is not empty (remove it or choose another)");
}

std::function<job_result()> setup_wordcount(CLI::App& cmd) {
  auto opts = std::make_shared<wordcount_options>();
  cmd.add_option("--input", opts->input, "text file to count the words of")->required();
  cmd.add_option("--output", opts->output,
                 "output directory (created if missing); one 'word,count' line per word")
      ->required();
  cmd.add_option("--parallelism,-p", opts->parallelism, "parallelism of every operator")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  return [opts] {
    require_readable_file("--input", opts->input);
    require_output_dir("--output", opts->output);
    StreamEnvironment env;
    build_wordcount(env, *opts);
    return env.execute("wordcount");
  };
}

std::function<job_result()> setup_sensors(CLI::App& cmd) {
  auto opts = std::make_shared<sensors_options>();
  cmd.add_option("--input", opts->input, "CSV readings: device_id,ts_ms,temperature")->required();
  cmd.add_option(
         "--output", opts->output,
         "directory for window results: device_id,window_start_ms,window_end_ms,count,avg,max")
      ->required();
  cmd.add_option("--late", opts->late, "directory for readings too late for their window");
  cmd.add_option("--alerts", opts->alerts,
                 "directory for alerts: device_id,window_end_ms,ALERT for the third and later "
                 "adjacent window with avg > 80");
  cmd.add_option("--dead-letter", opts->dead_letter,
                 "directory for malformed lines (line number and reason); without it they are "
                 "reported on stderr");
  cmd.add_option("--parallelism,-p", opts->parallelism, "parallelism of the windows")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  return [opts] {
    require_readable_file("--input", opts->input);
    require_output_dir("--output", opts->output);
    if (!opts->late.empty()) require_output_dir("--late", opts->late);
    if (!opts->alerts.empty()) require_output_dir("--alerts", opts->alerts);
    if (!opts->dead_letter.empty()) require_output_dir("--dead-letter", opts->dead_letter);
    StreamEnvironment env;
    build_sensors(env, *opts);
    return env.execute("sensors");
  };
}

}  // namespace

const std::vector<sample_job>& sample_jobs() {
  static const std::vector<sample_job> jobs = {
      {"wordcount", "counts the words of a text file (batch)", setup_wordcount},
      {"sensors", "10-second event-time windows per device, late data, alerts", setup_sensors},
  };
  return jobs;
}

}  // namespace eddy::samples
