// Snapshot blobs (encoding, checksums, corruption) and the LMDB checkpoint store.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "eddy/runtime/checkpoint_store.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "support/test_support.hpp"

namespace {

eddy::operator_snapshot sample_snapshot(std::uint64_t chk, int subtask) {
  eddy::operator_snapshot s;
  s.header.checkpoint_id = chk;
  s.header.operator_uid = "sum-uid";
  s.header.operator_name = "sum";
  s.header.subtask = subtask;
  s.header.parallelism = 2;
  s.header.max_parallelism = 128;
  s.entries.push_back({"counts", 7, "map<string,long>", std::string("\x01\x02\x00\x03", 4)});
  s.entries.push_back({"offset", -1, "long",
                       "MARKER-" + std::to_string(chk) + "-" + std::to_string(subtask) + "-END"});
  return s;
}

eddy::checkpoint_metadata sample_metadata(const std::string& job, std::uint64_t chk) {
  eddy::checkpoint_metadata m;
  m.id = chk;
  m.job_name = job;
  m.timestamp_ms = 1000 + static_cast<std::int64_t>(chk);
  m.operators.push_back({"sum-uid",
                         "sum",
                         2,
                         {eddy::checkpoint_store::blob_key(job, chk, "sum-uid", 0),
                          eddy::checkpoint_store::blob_key(job, chk, "sum-uid", 1)}});
  return m;
}

void put_checkpoint(eddy::checkpoint_store& store, const std::string& job, std::uint64_t chk,
                    bool complete = true) {
  for (int st = 0; st < 2; ++st)
    REQUIRE(store.put_blob(eddy::checkpoint_store::blob_key(job, chk, "sum-uid", st),
                           eddy::encode_snapshot(sample_snapshot(chk, st))));
  if (complete) REQUIRE(store.complete(sample_metadata(job, chk)));
}

}  // namespace

TEST_CASE("a snapshot blob decodes to what was encoded", "[checkpoint]") {
  const auto s = sample_snapshot(42, 1);
  const auto blob = eddy::encode_snapshot(s);
  auto d = eddy::decode_snapshot(blob, "test");
  REQUIRE(d);
  CHECK(d->header.checkpoint_id == 42);
  CHECK(d->header.operator_uid == "sum-uid");
  CHECK(d->header.operator_name == "sum");
  CHECK(d->header.subtask == 1);
  CHECK(d->header.parallelism == 2);
  CHECK(d->header.max_parallelism == 128);
  REQUIRE(d->entries.size() == 2);
  CHECK(d->entries[0].name == "counts");
  CHECK(d->entries[0].key_group == 7);
  CHECK(d->entries[0].type == "map<string,long>");
  CHECK(d->entries[0].data == std::string("\x01\x02\x00\x03", 4));
  CHECK(d->entries[1].key_group == -1);
}

TEST_CASE("every flipped byte and every truncation of a blob is detected", "[checkpoint]") {
  const auto blob = eddy::encode_snapshot(sample_snapshot(3, 0));
  for (std::size_t i = 0; i < blob.size(); ++i) {
    auto bad = blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto d = eddy::decode_snapshot(bad, "checkpoint 3, operator 'sum', subtask 1");
    INFO("byte " << i);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == eddy::errc::corrupt_data);
    CHECK(d.error().message.find("checkpoint 3, operator 'sum', subtask 1") != std::string::npos);
  }
  for (std::size_t n = 0; n < blob.size(); n += 7) {
    auto d = eddy::decode_snapshot(std::string_view(blob).substr(0, n), "x");
    CHECK_FALSE(d);
  }
}

TEST_CASE(
    "the store lists completed checkpoints only, keeps the retained ones and removes "
    "orphan blobs",
    "[checkpoint]") {
  eddy::testing::temp_dir dir;
  auto opened = eddy::checkpoint_store::open(dir.path().string());
  REQUIRE(opened);
  auto& store = **opened;
  for (std::uint64_t c = 1; c <= 4; ++c) put_checkpoint(store, "job", c);
  put_checkpoint(store, "job", 5, /*complete=*/false);  // a crash before completion
  put_checkpoint(store, "other", 1);

  auto done = store.completed("job");
  REQUIRE(done);
  REQUIRE(done->size() == 4);
  CHECK(done->back().id == 4);
  CHECK(done->back().timestamp_ms == 1004);
  CHECK(done->back().operators.at(0).blob_keys.size() == 2);
  auto blob = store.get_blob(done->back().operators[0].blob_keys[1]);
  REQUIRE(blob);
  auto snap = eddy::decode_snapshot(*blob, "x");
  REQUIRE(snap);
  CHECK(snap->entries[1].data == "MARKER-4-1-END");

  // The incomplete checkpoint's blobs exist until remove_pending.
  CHECK(store.get_blob(eddy::checkpoint_store::blob_key("job", 5, "sum-uid", 0)));
  REQUIRE(store.remove_pending("job"));
  CHECK_FALSE(store.get_blob(eddy::checkpoint_store::blob_key("job", 5, "sum-uid", 0)));
  CHECK(store.get_blob(eddy::checkpoint_store::blob_key("job", 4, "sum-uid", 0)));

  REQUIRE(store.retain("job", 2));
  done = store.completed("job");
  REQUIRE(done);
  REQUIRE(done->size() == 2);
  CHECK(done->front().id == 3);
  CHECK_FALSE(store.get_blob(eddy::checkpoint_store::blob_key("job", 1, "sum-uid", 0)));
  // Other jobs are untouched.
  auto other = store.completed("other");
  REQUIRE(other);
  CHECK(other->size() == 1);
  auto all = store.list();
  REQUIRE(all);
  CHECK(all->size() == 3);
}

TEST_CASE("a store reopened after its process ended has the same checkpoints", "[checkpoint]") {
  eddy::testing::temp_dir dir;
  {
    auto store = eddy::checkpoint_store::open(dir.path().string());
    REQUIRE(store);
    put_checkpoint(**store, "job", 1);
    put_checkpoint(**store, "job", 2, false);
  }
  auto store = eddy::checkpoint_store::open(dir.path().string());
  REQUIRE(store);
  auto done = (*store)->completed("job");
  REQUIRE(done);
  REQUIRE(done->size() == 1);
  CHECK(done->front().id == 1);
}

TEST_CASE("a byte flipped inside the LMDB file is reported by the blob's checksum",
          "[checkpoint]") {
  eddy::testing::temp_dir dir;
  {
    auto store = eddy::checkpoint_store::open(dir.path().string());
    REQUIRE(store);
    put_checkpoint(**store, "job", 9);
  }
  // Find the marker of subtask 0's blob in the data file and flip one of its bytes.
  const auto file = dir.path() / "data.mdb";
  std::string data;
  {
    std::ifstream in(file, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  // (LMDB copies pages on write: flip every copy, the live one among them.)
  std::size_t flipped = 0;
  for (auto at = data.find("MARKER-9-0-END"); at != std::string::npos;
       at = data.find("MARKER-9-0-END", at + 1)) {
    data[at + 3] = static_cast<char>(data[at + 3] ^ 1);
    ++flipped;
  }
  REQUIRE(flipped > 0);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  auto store = eddy::checkpoint_store::open(dir.path().string());
  REQUIRE(store);
  auto blob = (*store)->get_blob(eddy::checkpoint_store::blob_key("job", 9, "sum-uid", 0));
  REQUIRE(blob);
  auto snap = eddy::decode_snapshot(*blob, "checkpoint 9, operator 'sum', subtask 1");
  REQUIRE_FALSE(snap);
  CHECK(snap.error().message.find("checksum mismatch") != std::string::npos);
  CHECK(snap.error().message.find("checkpoint 9") != std::string::npos);
  // The other subtask's blob is intact.
  auto good = (*store)->get_blob(eddy::checkpoint_store::blob_key("job", 9, "sum-uid", 1));
  REQUIRE(good);
  CHECK(eddy::decode_snapshot(*good, "x"));
}

namespace {
/// Takes the flock on DIR/eddy.lock through a descriptor of its own (flock locks of different
/// open files conflict, also within one process) and writes `pid` there. Returns the descriptor
/// holding it (close it to release), or -1 if the lock is taken.
int try_lock(const std::filesystem::path& dir, const std::string& pid = {}) {
  const int fd = ::open((dir / "eddy.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  if (!pid.empty()) {
    REQUIRE(::ftruncate(fd, 0) == 0);
    REQUIRE(::pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size()));
  }
  return fd;
}
}  // namespace

TEST_CASE("a store locks its directory while this process has it open, however often",
          "[checkpoint][lock]") {
  eddy::testing::temp_dir dir;
  {
    auto first = eddy::checkpoint_store::open(dir.path().string());
    REQUIRE(first);
    auto second = eddy::checkpoint_store::open(dir.path().string());  // the same process
    REQUIRE(second);
    put_checkpoint(**second, "job", 1);
    CHECK(try_lock(dir.path()) == -1);
    first->reset();
    CHECK(try_lock(dir.path()) == -1);  // the second one still has it
    auto done = (*second)->completed("job");
    REQUIRE(done);
    CHECK(done->size() == 1);
  }
  const int fd = try_lock(dir.path());  // all closed: free again
  CHECK(fd >= 0);
  if (fd >= 0) ::close(fd);
}

TEST_CASE("a store refuses a directory another process holds and names its pid",
          "[checkpoint][lock]") {
  eddy::testing::temp_dir dir;
  const int fd = try_lock(dir.path(), "4242\n");  // stands for another eddy process
  REQUIRE(fd >= 0);
  auto store = eddy::checkpoint_store::open(dir.path().string());
  REQUIRE_FALSE(store);
  CHECK(store.error().message == "the checkpoint directory " + dir.path().string() +
                                     " is in use by another eddy process (pid 4242)");
  ::close(fd);
  CHECK(eddy::checkpoint_store::open(dir.path().string()));
}
