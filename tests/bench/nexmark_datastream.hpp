#pragma once
// Nexmark q0, q1, q2, q5, q7 and q8 written with the DataStream API over the generator's
// sources (nexmark_datastream.cpp), for eddy-bench nexmark: each adds the hashes of its result
// rows, in the SQL query's sink column order, to nexmark_checksum::totals(), so that its
// checksum equals the SQL query's.
#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::bench {

/// Whether query `q` ("q5") has a DataStream version.
bool has_datastream(std::string_view q);

/// Runs query `q` over `events` generated events at `rate` events per second of event time, at
/// `parallelism`; "" or the job's error. Blocks until the job ends.
std::string run_datastream(std::string_view q, std::uint64_t events, std::int64_t rate,
                           int parallelism);

}  // namespace eddy::bench
