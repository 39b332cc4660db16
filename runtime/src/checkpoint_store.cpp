#include "eddy/runtime/checkpoint_store.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <lmdb.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "dir_lock.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "snapshot.capnp.h"

namespace eddy {

namespace {
constexpr char sep = '\x1f';

std::string id20(std::uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(id));
  return buf;
}

std::string meta_key(const std::string& job, std::uint64_t id) {
  return job + sep + id20(id);
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// A frame like the snapshot blobs': magic, CRC-32, length, payload.
std::string frame(std::string_view payload) {
  std::string out = "EDM1";
  const auto crc = crc32_of(payload);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  const std::uint64_t n = payload.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(payload);
  return out;
}

std::string encode_metadata(const checkpoint_metadata& m) {
  capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<eddy::schema::CheckpointMetadata>();
  root.setFormatVersion(1);
  root.setCheckpointId(m.id);
  root.setJobName(m.job_name);
  root.setTimestampMs(m.timestamp_ms);
  root.setIsSavepoint(m.is_savepoint);
  root.setMaxParallelism(static_cast<std::uint32_t>(m.max_parallelism));
  auto ops = root.initOperators(static_cast<unsigned>(m.operators.size()));
  for (std::size_t i = 0; i < m.operators.size(); ++i) {
    const auto& o = m.operators[i];
    auto out = ops[static_cast<unsigned>(i)];
    out.setUid(o.uid);
    out.setName(o.name);
    out.setParallelism(static_cast<std::uint32_t>(o.parallelism));
    auto keys = out.initBlobKeys(static_cast<unsigned>(o.blob_keys.size()));
    for (std::size_t k = 0; k < o.blob_keys.size(); ++k)
      keys.set(static_cast<unsigned>(k), o.blob_keys[k]);
    out.setEnumeratorBlobKey(o.enumerator_blob_key);
  }
  auto words = capnp::messageToFlatArray(mb);
  auto bytes = words.asBytes();
  return frame(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
}

expected<checkpoint_metadata> decode_metadata(std::string_view framed, const std::string& where) {
  auto fail = [&](const std::string& what) {
    return eddy::error{errc::corrupt_data, "corrupt checkpoint metadata (" + where + "): " + what};
  };
  if (framed.size() < 16 || framed.substr(0, 4) != "EDM1") return fail("bad magic");
  std::uint32_t crc = 0;
  std::uint64_t n = 0;
  for (int i = 0; i < 4; ++i)
    crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(framed[4 + i])) << (8 * i);
  for (int i = 0; i < 8; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(framed[8 + i])) << (8 * i);
  auto payload = framed.substr(16);
  if (n != payload.size()) return fail("truncated");
  if (crc32_of(payload) != crc) return fail("checksum mismatch");
  if (payload.size() % sizeof(capnp::word) != 0) return fail("payload not word aligned");
  auto words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  checkpoint_metadata m;
  try {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    auto root = reader.getRoot<eddy::schema::CheckpointMetadata>();
    if (root.getFormatVersion() != 1)
      return fail("format version " + std::to_string(root.getFormatVersion()));
    m.id = root.getCheckpointId();
    m.job_name = root.getJobName();
    m.timestamp_ms = root.getTimestampMs();
    m.is_savepoint = root.getIsSavepoint();
    m.max_parallelism = static_cast<int>(root.getMaxParallelism());
    for (auto o : root.getOperators()) {
      checkpoint_metadata::operator_info info;
      info.uid = o.getUid();
      info.name = o.getName();
      info.parallelism = static_cast<int>(o.getParallelism());
      for (auto k : o.getBlobKeys()) info.blob_keys.emplace_back(k);
      info.enumerator_blob_key = o.getEnumeratorBlobKey();
      m.operators.push_back(std::move(info));
    }
  } catch (const kj::Exception& e) {
    return fail(std::string("malformed: ") + e.getDescription().cStr());
  }
  return m;
}

/// A transaction that aborts unless committed.
class txn {
 public:
  txn(MDB_env* env, bool read_only) {
    rc_ = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &t_);
  }
  ~txn() {
    if (t_) mdb_txn_abort(t_);
  }
  [[nodiscard]] int rc() const { return rc_; }
  MDB_txn* get() { return t_; }
  int commit() {
    int rc = mdb_txn_commit(t_);
    t_ = nullptr;
    return rc;
  }

 private:
  MDB_txn* t_ = nullptr;
  int rc_ = 0;
};
}  // namespace

struct checkpoint_store::impl {
  std::shared_ptr<detail::dir_lock> lock;  // released after the environment is closed
  std::recursive_mutex mtx;                // one call at a time, from any thread
  MDB_env* env = nullptr;
  MDB_dbi blobs = 0;
  MDB_dbi checkpoints = 0;
  ~impl() {
    if (env) mdb_env_close(env);
  }
};

checkpoint_store::checkpoint_store(std::string dir, std::unique_ptr<impl> p)
    : dir_(std::move(dir)), impl_(std::move(p)) {}
checkpoint_store::~checkpoint_store() = default;

expected<std::unique_ptr<checkpoint_store>> checkpoint_store::open(const std::string& dir) {
  auto fail = [&](const std::string& what, int rc) {
    return eddy::error{errc::io_error, "checkpoint store " + dir + ": " + what + ": " +
                                           (rc ? mdb_strerror(rc) : "")};
  };
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return eddy::error{errc::io_error, "checkpoint store " + dir + ": " + ec.message()};
  auto p = std::make_unique<impl>();
  // LMDB lets several processes share an environment, but two jobs writing checkpoints of the
  // same name into one store would remove each other's blobs (remove_pending, retain).
  auto lock = detail::dir_lock::acquire(dir, "the checkpoint directory " + dir);
  if (!lock) return lock.error();
  p->lock = std::move(*lock);
  int rc = mdb_env_create(&p->env);
  if (rc) return fail("create", rc);
  mdb_env_set_maxdbs(p->env, 4);
  // Address space only: the file grows as it is used.
  mdb_env_set_mapsize(p->env, std::size_t{64} << 30);
  // NOTLS: the coordinator actor may run on any thread. NOSYNC: complete() syncs explicitly.
  rc = mdb_env_open(p->env, dir.c_str(), MDB_NOTLS | MDB_NOSYNC, 0644);
  if (rc) return fail("open", rc);
  txn t(p->env, false);
  if (t.rc()) return fail("begin", t.rc());
  rc = mdb_dbi_open(t.get(), "blobs", MDB_CREATE, &p->blobs);
  if (rc) return fail("open blobs", rc);
  rc = mdb_dbi_open(t.get(), "checkpoints", MDB_CREATE, &p->checkpoints);
  if (rc) return fail("open checkpoints", rc);
  rc = t.commit();
  if (rc) return fail("commit", rc);
  return std::unique_ptr<checkpoint_store>(new checkpoint_store(dir, std::move(p)));
}

std::string checkpoint_store::blob_key(const std::string& job, std::uint64_t checkpoint,
                                       const std::string& uid, int subtask) {
  return job + sep + id20(checkpoint) + sep + uid + sep + std::to_string(subtask);
}

expected<void> checkpoint_store::put_blob(const std::string& key, std::string_view blob) {
  std::lock_guard lock(impl_->mtx);
  txn t(impl_->env, false);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  MDB_val k = val(key), v = val(blob);
  int rc = mdb_put(t.get(), impl_->blobs, &k, &v, 0);
  if (!rc) rc = t.commit();
  if (rc)
    return eddy::error{errc::io_error, "checkpoint store " + dir_ +
                                           ": writing a blob: " + std::string(mdb_strerror(rc))};
  return {};
}

expected<std::string> checkpoint_store::get_blob(const std::string& key) const {
  std::lock_guard lock(impl_->mtx);
  txn t(impl_->env, true);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  MDB_val k = val(key), v{};
  int rc = mdb_get(t.get(), impl_->blobs, &k, &v);
  if (rc == MDB_NOTFOUND)
    return eddy::error{errc::corrupt_data, "checkpoint store " + dir_ + ": blob missing: " + key};
  if (rc) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(rc)};
  return std::string(view(v));
}

expected<void> checkpoint_store::complete(const checkpoint_metadata& m) {
  std::lock_guard lock(impl_->mtx);
  auto fail = [&](int rc) {
    return eddy::error{errc::io_error, "checkpoint store " + dir_ + ": completing checkpoint " +
                                           std::to_string(m.id) + ": " + mdb_strerror(rc)};
  };
  int rc = mdb_env_sync(impl_->env, 1);  // the blobs reach the disk before the metadata
  if (rc) return fail(rc);
  {
    txn t(impl_->env, false);
    if (t.rc()) return fail(t.rc());
    const auto key = meta_key(m.job_name, m.id);
    const auto data = encode_metadata(m);
    MDB_val k = val(key), v = val(data);
    rc = mdb_put(t.get(), impl_->checkpoints, &k, &v, 0);
    if (!rc) rc = t.commit();
    if (rc) return fail(rc);
  }
  rc = mdb_env_sync(impl_->env, 1);
  if (rc) return fail(rc);
  return {};
}

expected<std::vector<checkpoint_metadata>> checkpoint_store::completed(
    const std::string& job) const {
  std::lock_guard lock(impl_->mtx);
  std::vector<checkpoint_metadata> out;
  txn t(impl_->env, true);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(t.get(), impl_->checkpoints, &c);
  if (rc) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(rc)};
  const std::string prefix = job + sep;
  MDB_val k = val(prefix), v{};
  for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    auto key = view(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    auto m = decode_metadata(view(v), dir_ + ", job '" + job + "', checkpoint " +
                                          std::string(key.substr(prefix.size())));
    if (!m) {
      mdb_cursor_close(c);
      return m.error();
    }
    out.push_back(std::move(*m));
  }
  mdb_cursor_close(c);
  return out;
}

expected<std::vector<std::pair<std::string, std::uint64_t>>> checkpoint_store::list() const {
  std::lock_guard lock(impl_->mtx);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  txn t(impl_->env, true);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(t.get(), impl_->checkpoints, &c);
  if (rc) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(rc)};
  MDB_val k{}, v{};
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    auto key = std::string(view(k));
    auto at = key.rfind(sep);
    if (at == std::string::npos) continue;
    out.emplace_back(key.substr(0, at), std::stoull(key.substr(at + 1)));
  }
  mdb_cursor_close(c);
  return out;
}

namespace {
/// Deletes every key of `dbi` starting with `prefix` except those in `keep`.
int delete_prefix(MDB_txn* t, MDB_dbi dbi, const std::string& prefix,
                  const std::set<std::string>& keep = {}) {
  std::vector<std::string> doomed;
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(t, dbi, &c);
  if (rc) return rc;
  MDB_val k = val(prefix), v{};
  for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    auto key = view(k);
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!keep.count(std::string(key))) doomed.emplace_back(key);
  }
  mdb_cursor_close(c);
  if (rc && rc != MDB_NOTFOUND) return rc;
  for (const auto& d : doomed) {
    MDB_val dk = val(d);
    rc = mdb_del(t, dbi, &dk, nullptr);
    if (rc) return rc;
  }
  return 0;
}
}  // namespace

expected<void> checkpoint_store::remove(const std::string& job, std::uint64_t checkpoint) {
  std::lock_guard lock(impl_->mtx);
  txn t(impl_->env, false);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  const auto mk = meta_key(job, checkpoint);
  MDB_val k = val(mk);
  int rc = mdb_del(t.get(), impl_->checkpoints, &k, nullptr);
  if (rc && rc != MDB_NOTFOUND) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(rc)};
  rc = delete_prefix(t.get(), impl_->blobs, mk + sep);
  if (!rc) rc = t.commit();
  if (rc)
    return eddy::error{errc::io_error, "checkpoint store " + dir_ + ": removing checkpoint " +
                                           std::to_string(checkpoint) + ": " + mdb_strerror(rc)};
  return {};
}

expected<void> checkpoint_store::remove_pending(const std::string& job) {
  std::lock_guard lock(impl_->mtx);
  auto done = completed(job);
  if (!done) return done.error();
  std::set<std::string> keep;
  for (const auto& m : *done)
    for (const auto& o : m.operators) {
      for (const auto& k : o.blob_keys)
        if (!k.empty()) keep.insert(k);
      if (!o.enumerator_blob_key.empty()) keep.insert(o.enumerator_blob_key);
    }
  txn t(impl_->env, false);
  if (t.rc()) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(t.rc())};
  int rc = delete_prefix(t.get(), impl_->blobs, job + sep, keep);
  if (!rc) rc = t.commit();
  if (rc) return eddy::error{errc::io_error, dir_ + ": " + mdb_strerror(rc)};
  return {};
}

expected<void> checkpoint_store::retain(const std::string& job, int retain) {
  std::lock_guard lock(impl_->mtx);
  auto done = completed(job);
  if (!done) return done.error();
  std::vector<std::uint64_t> ids;
  for (const auto& m : *done)
    if (!m.is_savepoint) ids.push_back(m.id);
  for (std::size_t i = 0; i + static_cast<std::size_t>(std::max(retain, 1)) < ids.size(); ++i) {
    auto r = remove(job, ids[i]);
    if (!r) return r;
  }
  return {};
}

}  // namespace eddy
