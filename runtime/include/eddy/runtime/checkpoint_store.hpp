#pragma once
/// The checkpoint store: snapshot blobs and the metadata of completed checkpoints, in an LMDB
/// environment in one directory (files data.mdb and lock.mdb).
///
/// Layout (two named LMDB databases):
///   "blobs": key "<job>\x1f<checkpoint id, 20 digits>\x1f<operator uid>\x1f<subtask>" -> blob
///            (encode_snapshot's checksummed format, snapshot.hpp)
///   "checkpoints": key "<job>\x1f<checkpoint id, 20 digits>" -> checksummed Cap'n Proto
///            CheckpointMetadata (runtime/schema/snapshot.capnp)
/// A checkpoint exists once its metadata exists. Blobs are written as subtasks acknowledge;
/// complete() flushes them to disk, then writes the metadata in one transaction and flushes
/// again, so a crash at any point leaves every earlier completed checkpoint intact and the
/// pending one absent (its orphan blobs are removed by the next remove_pending()).
///
/// Who calls: the checkpoint coordinator (writes), job start-up and restarts (reads).
/// Thread-safety: a store object may be used from any thread (calls are serialized inside).
/// One process at a time uses a directory: open() locks it (the file eddy.lock, see
/// runtime/src/dir_lock.hpp) until the process's last store object of it is gone, and another
/// process's open() fails naming the holder's pid; within one process it may be opened any
/// number of times. Errors come back as eddy::error with the directory and the checkpoint named;
/// corrupt data as errc::corrupt_data.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/error.hpp"

namespace eddy {

/// What a completed checkpoint holds.
struct checkpoint_metadata {
  struct operator_info {
    std::string uid;
    std::string name;
    int parallelism = 1;
    std::vector<std::string> blob_keys;  ///< per subtask; empty string: no state
    std::string enumerator_blob_key;     ///< a source's split enumerator state; empty: none
  };
  std::uint64_t id = 0;
  std::string job_name;
  std::int64_t timestamp_ms = 0;
  bool is_savepoint = false;
  int max_parallelism = 128;
  std::vector<operator_info> operators;
};

class checkpoint_store {
 public:
  /// Opens (creating if needed) the store in directory `dir`. Errors: another process has it
  /// open ("the checkpoint directory DIR is in use by another eddy process (pid N)"), LMDB's.
  [[nodiscard]] static expected<std::unique_ptr<checkpoint_store>> open(const std::string& dir);
  ~checkpoint_store();
  checkpoint_store(const checkpoint_store&) = delete;
  checkpoint_store& operator=(const checkpoint_store&) = delete;

  [[nodiscard]] const std::string& directory() const noexcept { return dir_; }

  /// Key of a blob (see the layout above).
  [[nodiscard]] static std::string blob_key(const std::string& job, std::uint64_t checkpoint,
                                            const std::string& uid, int subtask);
  /// Stores a blob of a checkpoint in progress.
  [[nodiscard]] expected<void> put_blob(const std::string& key, std::string_view blob);
  /// Reads a blob (raw; decode with decode_snapshot).
  [[nodiscard]] expected<std::string> get_blob(const std::string& key) const;
  /// Completes a checkpoint (see above). Its blobs must have been put.
  [[nodiscard]] expected<void> complete(const checkpoint_metadata& m);
  /// Completed checkpoints of `job`, oldest first. Metadata that fails its checksum is reported
  /// as an error naming the checkpoint.
  [[nodiscard]] expected<std::vector<checkpoint_metadata>> completed(const std::string& job) const;
  /// Ids of every job's completed checkpoints, for listing (job, id), oldest first per job.
  [[nodiscard]] expected<std::vector<std::pair<std::string, std::uint64_t>>> list() const;
  /// Removes a checkpoint: its metadata first, then its blobs (one transaction).
  [[nodiscard]] expected<void> remove(const std::string& job, std::uint64_t checkpoint);
  /// Removes blobs of `job` that belong to no completed checkpoint (aborted or interrupted ones).
  [[nodiscard]] expected<void> remove_pending(const std::string& job);
  /// Keeps the newest `retain` completed checkpoints of `job` (savepoints are never removed).
  [[nodiscard]] expected<void> retain(const std::string& job, int retain);

 private:
  struct impl;
  explicit checkpoint_store(std::string dir, std::unique_ptr<impl> p);
  std::string dir_;
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy
