# Eddy's network format for record batches sent between nodes (see batch_codec.hpp).
# Fields are only ever added; a change old readers would misread bumps formatVersion.
@0xb3c1d7e29a4f6c15;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("eddy::schema");

struct Batch {
  formatVersion @0 :UInt32;       # 1
  count @1 :UInt32;               # records in `records`
  records @2 :Data;               # the records, back to back, in Eddy's serializer format
  timestamps @3 :List(Int64);     # empty, or one event-time timestamp (ms) per record
}
