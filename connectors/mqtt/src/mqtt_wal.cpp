#include "mqtt_wal.hpp"

#include <lmdb.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace eddy::mqtt::detail {

namespace {

void put_u32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

// Layout: "W1" qos retain mid(2, LE) topic-length(4, LE) topic payload.
std::string encode(const wal_record& r) {
  std::string s;
  s.reserve(10 + r.topic.size() + r.payload.size());
  s += "W1";
  s += static_cast<char>(r.qos);
  s += static_cast<char>(r.retain ? 1 : 0);
  s += static_cast<char>(r.mid & 0xff);
  s += static_cast<char>(r.mid >> 8);
  put_u32(s, static_cast<std::uint32_t>(r.topic.size()));
  s += r.topic;
  s += r.payload;
  return s;
}

bool decode(const void* data, std::size_t size, wal_record& out) {
  const auto* p = static_cast<const unsigned char*>(data);
  if (size < 10 || p[0] != 'W' || p[1] != '1' || p[2] > 2 || p[3] > 1) return false;
  const auto topic = get_u32(p + 6);
  if (topic > size - 10) return false;
  out.qos = p[2];
  out.retain = p[3] == 1;
  out.mid = static_cast<std::uint16_t>(p[4] | p[5] << 8);
  out.topic.assign(reinterpret_cast<const char*>(p + 10), topic);
  out.payload.assign(reinterpret_cast<const char*>(p + 10 + topic), size - 10 - topic);
  return true;
}

namespace {
constexpr std::uint64_t fingerprint_base = std::uint64_t{1} << 63;  // fingerprint keys from here
}  // namespace

struct mqtt_wal::impl {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  std::atomic<std::uint64_t> end{0};
  bool sync = false;
};

namespace {
[[noreturn]] void fail(const std::string& dir, const char* what, int rc) {
  throw std::runtime_error("mqtt write-ahead log '" + dir + "': " + what + ": " + mdb_strerror(rc));
}
}  // namespace

mqtt_wal::mqtt_wal(const std::string& dir, bool sync) : impl_(new impl), dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("mqtt write-ahead log '" + dir + "': cannot create: " + ec.message());
  impl_->sync = sync;
  int rc = mdb_env_create(&impl_->env);
  if (rc != 0) fail(dir, "mdb_env_create", rc);
  mdb_env_set_mapsize(impl_->env, std::size_t{1} << 36);  // 64 GiB of address space, sparse
  rc = mdb_env_open(impl_->env, dir.c_str(), MDB_NOTLS | (sync ? 0 : MDB_NOSYNC), 0644);
  if (rc != 0) {
    mdb_env_close(impl_->env);
    delete impl_;
    fail(dir, "cannot open", rc);
  }
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(impl_->env, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, nullptr, MDB_INTEGERKEY, &impl_->dbi);
  if (rc == 0) {
    // end() follows the last record and the last fingerprint (a record may be truncated while
    // its fingerprint is kept, and the other way round).
    MDB_cursor* c = nullptr;
    mdb_cursor_open(txn, impl_->dbi, &c);
    std::uint64_t key = fingerprint_base;
    MDB_val k{sizeof key, &key}, v;
    int found = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    found = found == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV) : mdb_cursor_get(c, &k, &v, MDB_LAST);
    std::uint64_t last = 0;
    if (found == 0) {
      std::memcpy(&last, k.mv_data, sizeof last);
      if (last < fingerprint_base) impl_->end = last + 1;
    }
    if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0) {
      std::memcpy(&last, k.mv_data, sizeof last);
      if (last >= fingerprint_base && last - fingerprint_base + 1 > impl_->end)
        impl_->end = last - fingerprint_base + 1;
    }
    mdb_cursor_close(c);
    rc = mdb_txn_commit(txn);
  } else if (txn) {
    mdb_txn_abort(txn);
  }
  if (rc != 0) {
    mdb_env_close(impl_->env);
    delete impl_;
    fail(dir, "cannot read", rc);
  }
}

mqtt_wal::~mqtt_wal() {
  mdb_env_close(impl_->env);
  delete impl_;
}

std::uint64_t mqtt_wal::append(const wal_record& r, std::optional<std::uint64_t> fingerprint) {
  const auto data = encode(r);
  std::uint64_t seq = impl_->end.load();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(impl_->env, nullptr, 0, &txn);
  if (rc != 0) fail(dir_, "cannot append", rc);
  MDB_val k{sizeof seq, &seq};
  MDB_val v{data.size(), const_cast<char*>(data.data())};
  // Not MDB_APPEND: the fingerprint keys sort after every record key.
  rc = mdb_put(txn, impl_->dbi, &k, &v, 0);
  if (rc == 0 && fingerprint) {
    std::uint64_t fkey = fingerprint_base + seq;
    std::uint64_t fval = *fingerprint;
    MDB_val fk{sizeof fkey, &fkey}, fv{sizeof fval, &fval};
    rc = mdb_put(txn, impl_->dbi, &fk, &fv, MDB_APPEND);
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    fail(dir_, "cannot append", rc);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) fail(dir_, "cannot commit an append", rc);
  impl_->end.store(seq + 1);
  return seq;
}

void mqtt_wal::read(std::uint64_t from, std::size_t max, std::vector<wal_record>& out) const {
  if (max == 0 || from >= impl_->end.load()) return;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(impl_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) fail(dir_, "cannot read", rc);
  MDB_cursor* c = nullptr;
  mdb_cursor_open(txn, impl_->dbi, &c);
  MDB_val k{sizeof from, &from}, v;
  rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
  for (std::size_t n = 0; rc == 0 && n < max; ++n) {
    std::uint64_t seq = 0;
    std::memcpy(&seq, k.mv_data, sizeof seq);
    if (seq >= fingerprint_base) break;
    wal_record r;
    if (!decode(v.mv_data, v.mv_size, r)) {
      mdb_cursor_close(c);
      mdb_txn_abort(txn);
      throw std::runtime_error("mqtt write-ahead log '" + dir_ + "': a record does not decode");
    }
    out.push_back(std::move(r));
    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(c);
  mdb_txn_abort(txn);
}

std::uint64_t mqtt_wal::end() const {
  return impl_->end.load();
}

std::uint64_t mqtt_wal::begin() const {
  MDB_txn* txn = nullptr;
  if (mdb_txn_begin(impl_->env, nullptr, MDB_RDONLY, &txn) != 0) return end();
  MDB_cursor* c = nullptr;
  mdb_cursor_open(txn, impl_->dbi, &c);
  MDB_val k, v;
  std::uint64_t first = end();
  if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0) {
    std::uint64_t key = 0;
    std::memcpy(&key, k.mv_data, sizeof key);
    if (key < fingerprint_base) first = key;
  }
  mdb_cursor_close(c);
  mdb_txn_abort(txn);
  return first;
}

void mqtt_wal::fingerprints(std::uint64_t from, std::vector<std::uint64_t>& out) const {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(impl_->env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) fail(dir_, "cannot read", rc);
  MDB_cursor* c = nullptr;
  mdb_cursor_open(txn, impl_->dbi, &c);
  std::uint64_t key = fingerprint_base + from;
  MDB_val k{sizeof key, &key}, v;
  for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    std::uint64_t f = 0;
    if (v.mv_size != sizeof f) {
      mdb_cursor_close(c);
      mdb_txn_abort(txn);
      throw std::runtime_error("mqtt write-ahead log '" + dir_ +
                               "': a fingerprint does not decode");
    }
    std::memcpy(&f, v.mv_data, sizeof f);
    out.push_back(f);
  }
  mdb_cursor_close(c);
  mdb_txn_abort(txn);
}

namespace {
// Deletes the keys in [from, upto) of `dbi`.
void delete_range(MDB_env* env, MDB_dbi dbi, std::uint64_t from, std::uint64_t upto,
                  const std::string& dir) {
  if (from >= upto) return;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env, nullptr, 0, &txn);
  if (rc != 0) fail(dir, "cannot truncate", rc);
  MDB_cursor* c = nullptr;
  mdb_cursor_open(txn, dbi, &c);
  for (;;) {
    MDB_val k{sizeof from, &from}, v;
    if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) != 0) break;
    std::uint64_t key = 0;
    std::memcpy(&key, k.mv_data, sizeof key);
    if (key >= upto) break;
    mdb_cursor_del(c, 0);
  }
  mdb_cursor_close(c);
  rc = mdb_txn_commit(txn);
  if (rc != 0) fail(dir, "cannot commit a truncation", rc);
}
}  // namespace

void mqtt_wal::truncate(std::uint64_t upto) {
  const auto e = end();
  if (e > 0 && upto >= e) upto = e - 1;  // the newest record stays
  delete_range(impl_->env, impl_->dbi, 0, upto, dir_);
}

void mqtt_wal::forget_fingerprints(std::uint64_t upto) {
  delete_range(impl_->env, impl_->dbi, fingerprint_base, fingerprint_base + upto, dir_);
}

}  // namespace eddy::mqtt::detail
