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
    MDB_cursor* c = nullptr;
    mdb_cursor_open(txn, impl_->dbi, &c);
    MDB_val k, v;
    if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0) {
      std::uint64_t last = 0;
      std::memcpy(&last, k.mv_data, sizeof last);
      impl_->end = last + 1;
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

std::uint64_t mqtt_wal::append(const wal_record& r) {
  const auto data = encode(r);
  std::uint64_t seq = impl_->end.load();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(impl_->env, nullptr, 0, &txn);
  if (rc != 0) fail(dir_, "cannot append", rc);
  MDB_val k{sizeof seq, &seq};
  MDB_val v{data.size(), const_cast<char*>(data.data())};
  rc = mdb_put(txn, impl_->dbi, &k, &v, MDB_APPEND);
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
  if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0) std::memcpy(&first, k.mv_data, sizeof first);
  mdb_cursor_close(c);
  mdb_txn_abort(txn);
  return first;
}

void mqtt_wal::truncate(std::uint64_t upto) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(impl_->env, nullptr, 0, &txn);
  if (rc != 0) fail(dir_, "cannot truncate", rc);
  MDB_cursor* c = nullptr;
  mdb_cursor_open(txn, impl_->dbi, &c);
  MDB_val k, v;
  while (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0) {
    std::uint64_t seq = 0;
    std::memcpy(&seq, k.mv_data, sizeof seq);
    if (seq >= upto) break;
    mdb_cursor_del(c, 0);
  }
  mdb_cursor_close(c);
  rc = mdb_txn_commit(txn);
  if (rc != 0) fail(dir_, "cannot commit a truncation", rc);
}

}  // namespace eddy::mqtt::detail
