#pragma once
/// A source's split enumerator (Flink's SplitEnumerator, FLIP-27): one per source, on an actor
/// beside the job supervisor, it discovers the source's splits (the files of a directory, the
/// partitions of a topic) and assigns each to one reader (the source's subtasks). A connector
/// that has one sets Source<T>::make_enumerator; its readers then learn their splits from it
/// (source_base::add_splits) instead of finding their own.
///
/// The runtime keeps the bookkeeping: which splits are known, which wait for a reader, which
/// readers wait for a split. Assignment is either
/// - on demand (`owner` returns -1, the default): a reader asks for one split when it has none
///   left (source_base::request_split) and gets the oldest waiting one, so fast readers take more
///   (files of very different sizes balance), or
/// - by owner (`owner` returns a reader index): every split goes to that reader when it is
///   discovered (for splits that never end, such as partitions).
/// A bounded enumerator (discovery_interval() == 0) discovers once; readers that ask once
/// nothing is left are told there will be no more splits and end when their own splits are
/// done. An unbounded one discovers again every interval and its readers never end.
///
/// Checkpoints: when a checkpoint is triggered the enumerator's state (the known splits and the
/// ones still waiting) is taken first and then the source's readers are triggered by the
/// enumerator's actor, so an assignment is either in the enumerator's snapshot (still waiting)
/// or in the reader's (the reader got it before the barrier), never both or neither. Readers
/// checkpoint the splits they hold with their positions (as "__union:" state, so that a restore
/// at another parallelism redistributes them); the enumerator's state does not depend on the
/// parallelism.
///
/// Threads: every call comes from the enumerator's actor, which runs on its own thread
/// (detached), so `discover` may block on I/O for a while (a directory listing, a metadata
/// request). Exceptions from its calls fail the job (or restart it) with their message.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace eddy {

class split_enumerator {
 public:
  virtual ~split_enumerator() = default;
  /// Every split the source has now, by id (a file name, "topic/partition"); ids seen before
  /// are ignored, so it may list everything again. Called at start and every interval.
  /// `initial`: the first discovery of a job that restored no enumerator state (Kafka reads
  /// these partitions from its start offset, later ones from the earliest). nullopt: the
  /// splits cannot be listed now (a broker is down; the enumerator says why in the log) and
  /// discovery is tried again after retry_interval().
  virtual std::optional<std::vector<std::string>> discover(bool initial) = 0;
  /// How often to discover again; 0: once (a bounded source).
  [[nodiscard]] virtual std::chrono::milliseconds discovery_interval() const = 0;
  /// How soon to try again after discover returned nullopt.
  [[nodiscard]] virtual std::chrono::milliseconds retry_interval() const {
    return std::chrono::milliseconds(500);
  }
  /// The reader (0..parallelism-1) a split always goes to, or -1 to assign on demand.
  [[nodiscard]] virtual int owner(const std::string& split, int parallelism) const {
    (void)split;
    (void)parallelism;
    return -1;
  }
  /// What the reader is given with split `id` besides the id (a start position the discovery
  /// resolved, say); called when the split is assigned, right after the discovery that found
  /// it (by owner) or later (on demand, possibly after a restore: then it must not depend on
  /// what the discovery learnt). Default: nothing.
  [[nodiscard]] virtual std::string split_data(const std::string& id) const {
    (void)id;
    return {};
  }
};

}  // namespace eddy
