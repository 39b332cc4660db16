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
  // Once per batch: a redirected stdout (a worker's log) shows each batch when it is written,
  // not when a buffer fills or the process ends.
  std::fflush(stdout);
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
// The state: the pending files of each subtask, by number ("<n>" or "<n>-<k>").
using pending_entry =
    std::tuple<std::uint32_t, std::uint64_t, std::string>;  // subtask, chk, number
constexpr const char* files_state = "__union:part_file_names";
// Before rolling files: numbers were "<n>" only. Read on restore, never written.
using legacy_pending_entry = std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>;
constexpr const char* legacy_files_state = "__union:part_files";
constexpr std::uint64_t at_end = ~std::uint64_t{0};
}  // namespace

part_files::~part_files() {
  // The current file holds records after the last checkpoint: a restore replays them, and a job
  // that failed for good leaves nothing. (Pending files of completed-later checkpoints stay:
  // a restore commits them.)
  if (file_) {
    std::fclose(file_);
    std::remove(tmp_path(subtask_, current_number()).c_str());
  }
}

std::string part_files::file_number(std::uint64_t n, std::uint64_t k) {
  return k == 0 ? std::to_string(n) : std::to_string(n) + "-" + std::to_string(k);
}
std::string part_files::tmp_path(int subtask, const std::string& number) const {
  return (std::filesystem::path(dir_) / (".part-" + prefix_ + std::to_string(node_) + "-" +
                                         std::to_string(subtask) + "-" + number + ".inprogress"))
      .string();
}
std::string part_files::final_path(int subtask, const std::string& number) const {
  return (std::filesystem::path(dir_) / ("part-" + prefix_ + std::to_string(node_) + "-" +
                                         std::to_string(subtask) + "-" + number))
      .string();
}

void part_files::open(const std::string& dir, int node_id, int subtask, int parallelism,
                      rolling_policy policy, std::string name_prefix) {
  dir_ = dir;
  prefix_ = std::move(name_prefix);
  node_ = node_id;
  subtask_ = subtask;
  parallelism_ = parallelism;
  policy_ = policy;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory '" + dir + "': " + ec.message());
}

void part_files::remove_matching(bool committed, std::uint64_t from) {
  // This subtask's files, and subtask 0 also those of subtasks beyond the parallelism (a rescale
  // to fewer subtasks). A rolled file's "<n>-<k>" counts as n.
  const std::string prefix =
      (committed ? "part-" : ".part-") + prefix_ + std::to_string(node_) + "-";
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

void part_files::open_current() {
  remove_stray_in_progress();
  const auto path = tmp_path(subtask_, current_number());
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) fail_io("cannot create output file", path, errno);
  bytes_ = 0;
  opened_at_ = std::chrono::steady_clock::now();
}

void part_files::write(const std::string& data) {
  if (file_ && policy_.rollover_interval.count() > 0 &&
      std::chrono::steady_clock::now() - opened_at_ >= policy_.rollover_interval)
    roll();
  const std::uint64_t limit = policy_.max_part_size;
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (!file_) open_current();
    std::size_t take = data.size() - pos;
    if (limit > 0 && bytes_ + take > limit) {
      // Up to the last line end that still fits; a file holds at least one (whole) line.
      const std::size_t room = static_cast<std::size_t>(limit - std::min(limit, bytes_));
      const std::size_t cut = room == 0 ? std::string::npos : data.rfind('\n', pos + room - 1);
      if (cut != std::string::npos && cut >= pos) {
        take = cut - pos + 1;
      } else if (bytes_ > 0) {
        roll();
        continue;
      } else {
        const std::size_t end = data.find('\n', pos);
        take = end == std::string::npos ? data.size() - pos : end - pos + 1;
      }
    }
    if (std::fwrite(data.data() + pos, 1, take, file_) != take)
      fail_io("cannot write output file", tmp_path(subtask_, current_number()), errno);
    bytes_ += take;
    pos += take;
    if (limit > 0 && bytes_ >= limit) roll();
  }
}

void part_files::close_current() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) fail_io("cannot write output file", tmp_path(subtask_, current_number()), err);
}

void part_files::roll() {
  if (!file_) return;
  close_current();
  pending_.push_back(
      {0, tmp_path(subtask_, current_number()), final_path(subtask_, current_number())});
  ++k_;
}

void part_files::snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out) {
  remove_stray_in_progress();
  if (file_) {
    close_current();
    pending_.push_back({checkpoint_id, tmp_path(subtask_, current_number()),
                        final_path(subtask_, current_number())});
  }
  for (auto& p : pending_)
    if (p.checkpoint == 0) p.checkpoint = checkpoint_id;  // rolled since the last one
  n_ = checkpoint_id;  // the next file; unique: checkpoint ids only grow
  k_ = 0;
  std::vector<pending_entry> state;
  const std::string final_prefix = final_path(subtask_, "");
  for (const auto& p : pending_)
    state.emplace_back(static_cast<std::uint32_t>(subtask_), p.checkpoint,
                       p.final.substr(final_prefix.size()));
  out.push_back(state_entry{files_state, -1, "part_files", serialize(state)});
  out.push_back(state_entry{"__union:next_part", -1, "next_part", serialize(n_)});
  out.push_back(state_entry{"__union:part_prefix", -1, "part_prefix", serialize(prefix_)});
}

void part_files::commit_up_to(std::uint64_t checkpoint_id) {
  std::size_t done = 0;
  for (; done < pending_.size() && pending_[done].checkpoint != 0 &&
         pending_[done].checkpoint <= checkpoint_id;
       ++done)
    rename_or_throw(pending_[done].tmp, pending_[done].final);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
}

void part_files::restore(const std::vector<state_entry>& entries) {
  // The restored run's name prefix names its pending files; this run goes on with it (a SQL
  // job's prefix is a tag made per submission, and its resumption is the same job).
  for (const auto& e : entries) {
    std::string restored;
    if (e.name == "__union:part_prefix" && deserialize(e.data, restored)) prefix_ = restored;
  }
  // Files the restored checkpoint had pending are committed now: the checkpoint completed.
  std::uint64_t highest = 0;
  auto commit = [&](std::uint32_t subtask, std::uint64_t chk, const std::string& number) {
    rename_or_throw(tmp_path(static_cast<int>(subtask), number),
                    final_path(static_cast<int>(subtask), number));
    highest = std::max(highest, chk);
  };
  for (const auto& e : entries) {
    std::string err;
    if (e.name == files_state) {
      std::vector<pending_entry> state;
      if (!deserialize(e.data, state, &err))
        throw std::runtime_error("file sink state does not decode: " + err);
      for (const auto& [subtask, chk, number] : state) commit(subtask, chk, number);
    } else if (e.name == legacy_files_state) {
      std::vector<legacy_pending_entry> state;
      if (!deserialize(e.data, state, &err))
        throw std::runtime_error("file sink state does not decode: " + err);
      for (const auto& [subtask, chk, n] : state) commit(subtask, chk, std::to_string(n));
    }
  }
  for (const auto& e : entries) {
    std::uint64_t next = 0;
    if (e.name == "__union:next_part" && deserialize(e.data, next))
      highest = std::max(highest, next);
  }
  n_ = std::max(n_, highest);
  k_ = 0;
  // Committed files numbered from the restored checkpoint on hold output after it (committed when
  // an earlier run finished, or by a later checkpoint that cannot be read): the replay writes it
  // again.
  if (highest > 0) remove_matching(true, highest);
}

std::function<void(bool)> part_files::finish(bool checkpointing) {
  remove_stray_in_progress();
  if (file_) {
    close_current();
    pending_.push_back(
        {at_end, tmp_path(subtask_, current_number()), final_path(subtask_, current_number())});
  }
  for (auto& p : pending_)
    if (p.checkpoint == 0) p.checkpoint = at_end;  // rolled after the last checkpoint
  auto files = pending_;  // kept too: the final snapshot of a finished subtask lists them
  return [files = std::move(files), checkpointing](bool succeeded) {
    for (const auto& f : files) {
      // A failed job: checkpointed files stay hidden for a resume to commit; so do the files
      // after the last checkpoint if checkpoints are on (the subtask's final snapshot, taken
      // when it finished, may be in a completed checkpoint); otherwise they go.
      if (succeeded)
        rename_or_throw(f.tmp, f.final);
      else if (f.checkpoint == at_end && !checkpointing)
        std::remove(f.tmp.c_str());
    }
  };
}

}  // namespace eddy::detail
