# Eddy's on-disk formats for checkpoints (stored in LMDB, see checkpoint_store.hpp).
#
# Versioning: every message carries formatVersion. Readers accept the versions they know and
# reject newer ones with a clear error. Fields are only ever added (Cap'n Proto keeps old readers
# working); a change that old readers would misread bumps formatVersion.
@0xf79f82d0f3725f12;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eddy::schema");

# The state of one operator subtask in one checkpoint.
struct OperatorSnapshot {
  formatVersion @0 :UInt32;   # 1
  checkpointId @1 :UInt64;
  operatorUid @2 :Text;       # uid("...") or a generated id
  operatorName @3 :Text;
  subtask @4 :UInt32;         # index of the subtask that wrote it
  parallelism @5 :UInt32;     # of the operator when written
  maxParallelism @6 :UInt32;  # number of key groups
  entries @7 :List(StateEntry);
}

# One piece of state: operator state (keyGroup = -1) or the keyed state of one key group.
struct StateEntry {
  name @0 :Text;      # state name, unique within the operator
  keyGroup @1 :Int32; # -1: operator state (not keyed)
  type @2 :Text;      # what the data encodes (kind and C++ types), checked on restore
  data @3 :Data;      # the values, in Eddy's serializer format (serializer.hpp)
}

# The metadata of a completed checkpoint, written last, in the same transaction that completes it.
struct CheckpointMetadata {
  formatVersion @0 :UInt32;   # 1
  checkpointId @1 :UInt64;
  jobName @2 :Text;
  timestampMs @3 :Int64;      # when it was triggered (ms since the epoch)
  isSavepoint @4 :Bool;
  maxParallelism @5 :UInt32;
  operators @6 :List(OperatorInfo);
}

struct OperatorInfo {
  uid @0 :Text;
  name @1 :Text;
  parallelism @2 :UInt32;
  blobKeys @3 :List(Text);    # one per subtask, in subtask order ("" if it had no state)
  enumeratorBlobKey @4 :Text; # a source's split enumerator state ("" if it has none)
}
