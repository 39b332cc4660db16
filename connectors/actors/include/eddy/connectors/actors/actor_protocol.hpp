#pragma once
/// How an application's CAF actors talk to a job's actor source and actor sink
/// (actor_source.hpp, actor_sink.hpp). Records travel as batches serialised with Eddy's
/// serializer (EDDY_FIELDS types, strings, numbers...) inside a std::string, so no CAF type
/// registration is needed, in the same process or over CAF's middleman (io::remote_actor).
///
/// Producers (into an actor source's gateway):
///     -> (join_atom)                        join; the gateway answers with credit
///     <- (credit_atom, int32 n)             n more records may be pushed
///     -> (push_atom, blob, int32 count)     `count` records: blob = encode_batch(records)
///     -> (end_atom)                         this producer is done
/// A producer never has more records pushed than it was given credit for; credit comes back as
/// the job takes the records (with checkpoints: when a checkpoint covering them completes), so a
/// fast producer waits for the job instead of filling a mailbox. Pushing beyond the credit is a
/// protocol error: the gateway drops nothing, but logs it and counts it (gateway_stats).
///
/// Subscribers (of an actor sink's gateway):
///     -> (join_atom, int32 credit)          subscribe, able to take `credit` records
///     <- (batch_atom, blob, int32 count, int32 subtask, uint64 first_seq)
///                                           records first_seq.. of sink subtask `subtask`
///     -> (credit_atom, int32 n)             n more records may be sent
///     <- (end_atom)                         the job finished: no more batches
///     -> (leave_atom)                       unsubscribe
/// Every subscriber gets every record. Sequence numbers count a sink subtask's records from 0
/// and are part of its checkpoint, so after a restore the batches sent since the restored
/// checkpoint come again with the same numbers: a subscriber that keeps the highest number it
/// has seen per subtask sees every record once.
#include <caf/atom.hpp>

#include <string>
#include <vector>

#include "eddy/runtime/serializer.hpp"

namespace eddy::actors {

using join_atom = caf::atom_constant<caf::atom("eddyjoin")>;
using credit_atom = caf::atom_constant<caf::atom("eddycred")>;
using push_atom = caf::atom_constant<caf::atom("eddypush")>;
using end_atom = caf::atom_constant<caf::atom("eddyend")>;
using batch_atom = caf::atom_constant<caf::atom("eddybatch")>;
using leave_atom = caf::atom_constant<caf::atom("eddyleave")>;

/// A batch of records as the protocol carries it.
template <class T>
std::string encode_batch(const std::vector<T>& records) {
  return serialize(records);
}

/// The records of a batch; false (with `why`) if `blob` is not a batch of T.
template <class T>
bool decode_batch(const std::string& blob, std::vector<T>& out, std::string* why = nullptr) {
  out.clear();
  return deserialize(blob, out, why);
}

}  // namespace eddy::actors
