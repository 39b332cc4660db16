#include "eddy/table/partitioned_file_sink.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <utility>

#include "eddy/rows/temporal.hpp"
#include "eddy/rows/value_text.hpp"

namespace eddy::table {

namespace {

namespace fs = std::filesystem;

constexpr const char* default_partition = default_partition_name;
constexpr const char* union_prefix = "__union:";

/// Flink's PartitionPathUtils.escapePathName: these characters become %XX.
bool needs_escape(unsigned char c) {
  if (c < 0x20 || c == 0x7F) return true;
  switch (c) {
    case '"':
    case '#':
    case '%':
    case '\'':
    case '*':
    case '/':
    case ':':
    case '=':
    case '?':
    case '\\':
    case '{':
    case '[':
    case ']':
    case '^':
      return true;
    default:
      return false;
  }
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const auto hex = s.substr(i + 1, 2);
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/// A state entry's name with the partition's directory put in (after "__union:" for union
/// entries, which every subtask gets back on a restore), and the reverse.
std::string prefixed(const std::string& dir, const std::string& name) {
  if (name.rfind(union_prefix, 0) == 0)
    return union_prefix + dir + "|" + name.substr(std::char_traits<char>::length(union_prefix));
  return dir + "|" + name;
}

bool split_prefixed(const std::string& name, std::string& dir, std::string& original) {
  const bool is_union = name.rfind(union_prefix, 0) == 0;
  const std::size_t from = is_union ? std::char_traits<char>::length(union_prefix) : 0;
  const auto bar = name.find('|', from);
  if (bar == std::string::npos) return false;
  dir = name.substr(from, bar - from);
  original = (is_union ? std::string(union_prefix) : std::string()) + name.substr(bar + 1);
  return true;
}

}  // namespace

std::string partition_path_segment(const std::string& name, const std::string& value) {
  std::string out = name + "=";
  if (value.empty()) return out + default_partition;
  static const char* const digits = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

struct partitioned_file_sink_op::partition {
  std::string dir;  ///< relative to the table's path
  detail::part_files files;
  std::int64_t created_at = 0;                 ///< processing time of its first row here
  std::optional<std::int64_t> partition_time;  ///< partition-time trigger: from its values
  std::string time_text;                       ///< what was parsed for it
  bool wrote_since_success = false;            ///< files written since its last success file
  bool written =
      false;  ///< written by this job (or in the state it restored): committed at the end
  std::uint64_t last_written_checkpoint = 0;  ///< the checkpoint after its last write
};

partitioned_file_sink_op::partitioned_file_sink_op(std::shared_ptr<const partitioned_sink_plan> p,
                                                   int node_id)
    : plan_(std::move(p)), node_id_(node_id), watermark_(min_watermark) {}

partitioned_file_sink_op::~partitioned_file_sink_op() = default;

void partitioned_file_sink_op::open(const subtask_info& info) {
  input_op<rows::row_batch>::open(info);
  guarded([&] {
    std::error_code ec;
    fs::create_directories(plan_->path, ec);
    if (ec)
      throw std::runtime_error("cannot create output directory '" + plan_->path +
                               "': " + ec.message());
    // Every partition the table has: this subtask's in-progress files of an earlier attempt
    // go from each (also where this attempt writes nothing), as from an unpartitioned sink's.
    for (const auto& dir : existing_partitions()) partition_of(dir);
  });
}

std::vector<std::string> partitioned_file_sink_op::existing_partitions() const {
  std::vector<std::string> level = {""};
  for (std::size_t k = 0; k < plan_->partition_names.size(); ++k) {
    std::vector<std::string> next;
    const std::string prefix = plan_->partition_names[k] + "=";
    for (const auto& base : level) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(fs::path(plan_->path) / base, ec)) {
        const auto name = e.path().filename().string();
        if (e.is_directory() && name.rfind(prefix, 0) == 0)
          next.push_back(base.empty() ? name : base + "/" + name);
      }
    }
    level = std::move(next);
  }
  return level;
}

partitioned_file_sink_op::partition& partitioned_file_sink_op::partition_of(
    const std::string& dir) {
  auto& slot = partitions_[dir];
  if (!slot) {
    slot = std::make_unique<partition>();
    slot->dir = dir;
    slot->created_at = current_processing_time();
    slot->files.open((fs::path(plan_->path) / dir).string(), node_id_, info_.index,
                     info_.parallelism, plan_->rolling, plan_->part_prefix);
    if (plan_->partition_time_trigger) {
      // Its values, by name, put into the pattern (default: the first value).
      std::string text = plan_->timestamp_pattern.empty() ? "$" + plan_->partition_names.front()
                                                          : plan_->timestamp_pattern;
      std::size_t start = 0;
      for (std::size_t k = 0; k < plan_->partition_names.size(); ++k) {
        const auto slash = dir.find('/', start);
        const auto segment =
            dir.substr(start, slash == std::string::npos ? dir.npos : slash - start);
        start = slash == std::string::npos ? dir.size() : slash + 1;
        const auto value = unescape(segment.substr(segment.find('=') + 1));
        const std::string var = "$" + plan_->partition_names[k];
        for (auto at = text.find(var); at != std::string::npos; at = text.find(var, at + 1))
          text.replace(at, var.size(), value);
      }
      slot->partition_time = rows::parse_timestamp(text);
      slot->time_text = text;
    }
  }
  return *slot;
}

void partitioned_file_sink_op::process(std::vector<rows::row_batch>& batches) {
  guarded([&] {
    const auto& p = *plan_;
    for (auto& b : batches) {
      counters_.records_in += b.size();
      b.compact();
      rows::row_batch data;
      // The data columns move out (the partition columns, which stay, are others).
      for (const auto c : p.data_columns) data.columns().push_back(std::move(b.column(c)));
      // Rows of one partition together: one write per partition and batch.
      std::map<std::string, std::string> lines;
      for (std::size_t i = 0; i < b.size(); ++i) {
        std::string dir;
        for (std::size_t k = 0; k < p.partition_columns.size(); ++k) {
          const auto v = b.column(p.partition_columns[k]).get(i);
          std::string text;
          if (!v.is_null()) text = rows::format_value(v, b.column(p.partition_columns[k]).type());
          dir += (k ? "/" : "") + partition_path_segment(p.partition_names[k], text);
        }
        auto& out = lines[dir];
        out += p.encoder->encode(data, i);
        out += '\n';
      }
      for (auto& [dir, text] : lines) {
        auto& part = partition_of(dir);
        if (p.partition_time_trigger && !part.partition_time)
          throw std::runtime_error("table '" + p.table + "': the partition time '" +
                                   part.time_text + "' of partition '" + dir +
                                   "' does not parse as yyyy-MM-dd HH:mm:ss (see "
                                   "'partition.time-extractor.timestamp-pattern')");
        part.files.write(text);
        part.wrote_since_success = true;
        part.written = true;
      }
    }
  });
}

void partitioned_file_sink_op::on_watermark(std::int64_t watermark) {
  watermark_ = std::max(watermark_, watermark);
}

bool partitioned_file_sink_op::trigger_holds(const partition& p, std::int64_t watermark) const {
  if (plan_->partition_time_trigger)
    return p.partition_time && watermark != min_watermark &&
           watermark >= *p.partition_time + plan_->commit_delay_ms;
  return current_processing_time() >= p.created_at + plan_->commit_delay_ms;
}

void partitioned_file_sink_op::write_success_file(const std::string& dir) const {
  const auto file = fs::path(plan_->path) / dir / *plan_->success_file;
  std::ofstream out(file, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write the success file '" + file.string() + "'");
}

void partitioned_file_sink_op::snapshot_state(std::uint64_t id, std::vector<state_entry>& out) {
  guarded([&] {
    std::vector<state_entry> mine;
    for (auto& [dir, part] : partitions_) {
      mine.clear();
      part->files.snapshot(id, mine);
      if (part->wrote_since_success) part->last_written_checkpoint = id;
      for (auto& e : mine) {
        e.name = prefixed(dir, e.name);
        out.push_back(std::move(e));
      }
    }
    snapshot_watermarks_[id] = watermark_;
  });
}

void partitioned_file_sink_op::restore_state(const std::vector<state_entry>& entries) {
  guarded([&] {
    // Each partition's entries (union entries of every subtask's partitions come back to all).
    std::map<std::string, std::vector<state_entry>> by_dir;
    std::vector<state_entry> shared;  // the highest next-part number and the prefix, for all
    for (const auto& e : entries) {
      std::string dir, name;
      if (!split_prefixed(e.name, dir, name)) continue;
      by_dir[dir].push_back(state_entry{name, e.key_group, e.type, e.data});
      if (name.rfind(union_prefix, 0) == 0)
        shared.push_back(state_entry{name, e.key_group, e.type, e.data});
    }
    // Every partition directory the table has (depth: the partition columns), so that output
    // after the checkpoint is removed from partitions the checkpoint did not know too.
    std::set<std::string> dirs;
    for (const auto& [dir, list] : by_dir) dirs.insert(dir);
    for (const auto& dir : existing_partitions()) dirs.insert(dir);
    for (const auto& dir : dirs) {
      auto& part = partition_of(dir);
      auto list = by_dir[dir];
      if (list.empty()) {
        list = shared;  // unknown to the checkpoint: its later output goes
      } else {
        part.written = true;  // in the restored job's output: committed at its end
      }
      part.files.restore(list);
    }
  });
}

void partitioned_file_sink_op::notify_checkpoint_complete(std::uint64_t id) {
  guarded([&] {
    for (auto& [dir, part] : partitions_) part->files.commit_up_to(id);
    const auto it = snapshot_watermarks_.find(id);
    const std::int64_t wm = it == snapshot_watermarks_.end() ? min_watermark : it->second;
    snapshot_watermarks_.erase(snapshot_watermarks_.begin(), snapshot_watermarks_.upper_bound(id));
    if (!plan_->success_file) return;
    for (auto& [dir, part] : partitions_) {
      if (!part->wrote_since_success || part->last_written_checkpoint == 0 ||
          part->last_written_checkpoint > id || !trigger_holds(*part, wm))
        continue;
      write_success_file(dir);
      part->wrote_since_success = false;
    }
  });
}

void partitioned_file_sink_op::finish() {
  guarded([&] {
    std::vector<std::function<void(bool)>> actions;
    std::vector<std::string> written;
    for (auto& [dir, part] : partitions_) {
      actions.push_back(part->files.finish(info_.checkpointing));
      if (part->written) written.push_back(dir);
    }
    auto plan = plan_;
    action_ = [actions = std::move(actions), written = std::move(written), plan](bool succeeded) {
      for (const auto& a : actions) a(succeeded);
      if (!succeeded || !plan->success_file) return;
      // The end of a bounded input commits every partition (Flink's end-of-input commit).
      for (const auto& dir : written) {
        const auto file = fs::path(plan->path) / dir / *plan->success_file;
        std::ofstream out(file, std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write the success file '" + file.string() + "'");
      }
    };
  });
}

std::string unescape_partition_value(const std::string& escaped) {
  return unescape(escaped);
}

}  // namespace eddy::table
