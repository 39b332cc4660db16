#pragma once
// `eddy shell` and the one-shot job commands (`eddy jobs --cluster ...`): job control against a
// cluster through eddy::cluster_client. Part of the eddy binary only.
#include <chrono>
#include <string>
#include <vector>

#include "eddy/runtime/cluster.hpp"

namespace eddy::cli {

struct shell_options {
  std::string cluster;  ///< HOST:PORT; empty: an embedded coordinator and worker in this process
  cluster_security security;
  bool json = false;                         ///< every command prints JSON
  std::chrono::milliseconds timeout{10000};  ///< for reaching the cluster
  int rest_port = -1;  ///< serve the REST API of the cluster (-1: no; 0: any free port)
};

/// The names of the commands (also the one-shot ones: every one but `help` and `quit`).
const std::vector<std::string>& shell_commands();

/// "USAGE\n  HELP\n" of command `name`, or the table of all commands if `name` is empty (for
/// `eddy shell --help` and `eddy COMMAND --help`).
std::string command_help(const std::string& name);

/// `eddy shell`: interactive on a terminal (line editing, history in ~/.eddy_history,
/// completion), else one command per line from stdin. Returns the exit code: non-zero if the
/// cluster could not be reached or (script mode) a command failed.
int run_shell(const shell_options& opts);

/// One command (`words[0]` is its name), then exit; returns the exit code.
int run_one_command(const shell_options& opts, const std::vector<std::string>& words);

}  // namespace eddy::cli
