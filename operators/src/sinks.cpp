#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "eddy/runtime/state_snapshot.hpp"

#include "eddy/operators/sinks.hpp"
#include "eddy/operators/two_phase_commit_sink.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy::detail {

void warn_sink_problem(const std::string& message) {
  log().warn("{}", message);
}

void write_stdout(const std::string& text) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> g(mtx);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

namespace {
[[noreturn]] void fail_io(const std::string& what, const std::string& path, int err) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(err));
}
void rename_or_throw(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int err = errno;
    // Already renamed (a commit repeated after a restore) is fine.
    if (err == ENOENT && std::filesystem::exists(to)) return;
    throw std::runtime_error("cannot rename '" + from + "' to '" + to + "': " + std::strerror(err));
  }
}
using pending_entry = std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>;  // subtask, chk, n
constexpr const char* files_state = "__union:part_files";
}  // namespace

part_files::~part_files() {
  // The current file holds records after the last checkpoint: a restore replays them, and a job
  // that failed for good leaves nothing. (Pending files of completed-later checkpoints stay:
  // a restore commits them.)
  if (file_) {
    std::fclose(file_);
    std::remove(tmp_path(subtask_, n_).c_str());
  }
}

std::string part_files::tmp_path(int subtask, std::uint64_t n) const {
  return (std::filesystem::path(dir_) /
          (".part-" + std::to_string(node_) + "-" + std::to_string(subtask) + "-" +
           std::to_string(n) + ".inprogress"))
      .string();
}
std::string part_files::final_path(int subtask, std::uint64_t n) const {
  return (std::filesystem::path(dir_) / ("part-" + std::to_string(node_) + "-" +
                                         std::to_string(subtask) + "-" + std::to_string(n)))
      .string();
}

void part_files::open(const std::string& dir, int node_id, int subtask, int parallelism) {
  dir_ = dir;
  node_ = node_id;
  subtask_ = subtask;
  parallelism_ = parallelism;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory '" + dir + "': " + ec.message());
}

void part_files::remove_matching(bool committed, std::uint64_t from) {
  // This subtask's files, and subtask 0 also those of subtasks beyond the parallelism (a rescale
  // to fewer subtasks).
  const std::string prefix = (committed ? "part-" : ".part-") + std::to_string(node_) + "-";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    int st = -1;
    unsigned long long n = 0;
    if (std::sscanf(name.c_str() + prefix.size(), "%d-%llu", &st, &n) != 2) continue;
    if (st != subtask_ && !(subtask_ == 0 && st >= parallelism_)) continue;
    if (n >= from) std::filesystem::remove(e.path(), ec);
  }
}

void part_files::remove_stray_in_progress() {
  if (cleaned_) return;
  cleaned_ = true;
  // In-progress files left by an earlier attempt hold uncommitted output: a restore has
  // committed those its checkpoint covers, the rest is replayed.
  remove_matching(false, 0);
}

void part_files::write(const std::string& data) {
  if (!file_) {
    remove_stray_in_progress();
    const auto path = tmp_path(subtask_, n_);
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) fail_io("cannot create output file", path, errno);
  }
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size())
    fail_io("cannot write output file", tmp_path(subtask_, n_), errno);
}

void part_files::close_current() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) fail_io("cannot write output file", tmp_path(subtask_, n_), err);
}

void part_files::snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out) {
  remove_stray_in_progress();
  if (file_) {
    close_current();
    pending_.push_back({checkpoint_id, tmp_path(subtask_, n_), final_path(subtask_, n_)});
  }
  n_ = checkpoint_id;  // the next file; unique: checkpoint ids only grow
  std::vector<pending_entry> state;
  for (const auto& p : pending_) {
    // Recover n from the name: it is the suffix of the final path.
    const auto at = p.final.rfind('-');
    state.emplace_back(static_cast<std::uint32_t>(subtask_), p.checkpoint,
                       std::stoull(p.final.substr(at + 1)));
  }
  out.push_back(state_entry{files_state, -1, "part_files", serialize(state)});
  out.push_back(state_entry{"__union:next_part", -1, "next_part", serialize(n_)});
}

void part_files::commit_up_to(std::uint64_t checkpoint_id) {
  std::size_t done = 0;
  for (; done < pending_.size() && pending_[done].checkpoint <= checkpoint_id; ++done)
    rename_or_throw(pending_[done].tmp, pending_[done].final);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
}

void part_files::restore(const std::vector<state_entry>& entries) {
  // Files the restored checkpoint had pending are committed now: the checkpoint completed.
  std::uint64_t highest = 0;
  for (const auto& e : entries) {
    if (e.name != files_state) continue;
    std::vector<pending_entry> state;
    std::string err;
    if (!deserialize(e.data, state, &err))
      throw std::runtime_error("file sink state does not decode: " + err);
    for (const auto& [subtask, chk, n] : state) {
      rename_or_throw(tmp_path(static_cast<int>(subtask), n),
                      final_path(static_cast<int>(subtask), n));
      highest = std::max(highest, chk);
    }
  }
  for (const auto& e : entries) {
    std::uint64_t next = 0;
    if (e.name == "__union:next_part" && deserialize(e.data, next))
      highest = std::max(highest, next);
  }
  n_ = std::max(n_, highest);
  // Committed files numbered from the restored checkpoint on hold output after it (committed when
  // an earlier run finished, or by a later checkpoint that cannot be read): the replay writes it
  // again.
  if (highest > 0) remove_matching(true, highest);
}

std::function<void(bool)> part_files::finish(bool checkpointing) {
  remove_stray_in_progress();
  if (file_) {
    close_current();
    pending_.push_back({~std::uint64_t{0}, tmp_path(subtask_, n_), final_path(subtask_, n_)});
  }
  auto files = pending_;  // kept too: the final snapshot of a finished subtask lists them
  return [files = std::move(files), checkpointing](bool succeeded) {
    for (const auto& f : files) {
      // A failed job: checkpointed files stay hidden for a resume to commit; so does the last
      // one if checkpoints are on (the subtask's final snapshot, taken when it finished, may be
      // in a completed checkpoint); otherwise it goes.
      if (succeeded)
        rename_or_throw(f.tmp, f.final);
      else if (f.checkpoint == ~std::uint64_t{0} && !checkpointing)
        std::remove(f.tmp.c_str());
    }
  };
}

}  // namespace eddy::detail
