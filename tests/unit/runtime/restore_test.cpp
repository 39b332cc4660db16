// restore_for (runtime/src/restore.cpp): which state entries a subtask gets back.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "../../../runtime/src/restore.hpp"
#include "eddy/runtime/checkpoint_store.hpp"
#include "support/test_support.hpp"

namespace {

eddy::detail::restore_set one_keyed_entry(int key_group) {
  eddy::detail::restore_set rs;
  rs.location = "test";
  rs.max_parallelism = 128;
  auto& op = rs.operators["uid-1"];
  op.parallelism = 2;
  op.subtasks.resize(2);
  op.subtasks[0].entries.push_back(eddy::state_entry{"counts", key_group, "value<long>", "x"});
  return rs;
}

}  // namespace

TEST_CASE("restore_for hands a keyed entry to the subtask owning its key group at any parallelism",
          "[restore]") {
  const auto rs = one_keyed_entry(5);
  int holders = 0;
  for (int i = 0; i < 3; ++i)
    holders += !eddy::detail::restore_for(rs, "uid-1", "op", i, 3).entries.empty();
  CHECK(holders == 1);
  CHECK(eddy::detail::restore_for(rs, "uid-1", "op", 0, 2).entries.size() == 1);
}

TEST_CASE("restore_for fails on a key group beyond max parallelism instead of dropping the entry",
          "[restore]") {
  const auto rs = one_keyed_entry(200);  // only a damaged snapshot holds one
  for (int parallelism : {2, 3})
    for (int i = 0; i < parallelism; ++i)
      CHECK_THROWS_WITH(eddy::detail::restore_for(rs, "uid-1", "op", i, parallelism),
                        Catch::Contains("key group 200") && Catch::Contains("damaged snapshot"));
}

TEST_CASE(
    "a split enumerator's state is restored with its checkpoint, and a corrupt one falls "
    "back to the checkpoint before",
    "[checkpoint]") {
  eddy::testing::temp_dir tmp{"eddy-restore-enum"};
  auto store = eddy::checkpoint_store::open((tmp.path() / "chk").string());
  REQUIRE(store);
  const std::string job = "enum";
  auto put = [&](std::uint64_t id, bool corrupt) {
    eddy::operator_snapshot s;
    s.header.checkpoint_id = id;
    s.header.operator_uid = "src-uid";
    s.entries.push_back(
        {"__enumerator", -1, "split_assignment<v1>", "state-" + std::to_string(id)});
    auto blob = eddy::encode_snapshot(s);
    if (corrupt) blob[blob.size() / 2] ^= 0x55;
    const auto key = eddy::checkpoint_store::blob_key(job, id, "src-uid/enumerator", 0);
    REQUIRE((*store)->put_blob(key, blob));
    eddy::checkpoint_metadata m;
    m.id = id;
    m.job_name = job;
    eddy::checkpoint_metadata::operator_info info;
    info.uid = "src-uid";
    info.name = "src";
    info.parallelism = 2;
    info.blob_keys = {"", ""};
    info.enumerator_blob_key = key;
    m.operators.push_back(info);
    REQUIRE((*store)->complete(m));
  };
  put(1, false);
  eddy::job_graph g;
  g.add_node(eddy::node_kind::source, "src").uid = "src-uid";
  auto rs = eddy::detail::load_restore_set(**store, job, g, 128);
  REQUIRE(rs);
  REQUIRE(*rs);
  REQUIRE((*rs)->operators.at("src-uid").enumerator);
  CHECK((*rs)->operators.at("src-uid").enumerator->entries.at(0).data == "state-1");
  put(2, true);
  rs = eddy::detail::load_restore_set(**store, job, g, 128);
  REQUIRE(rs);
  CHECK((*rs)->checkpoint_id == 1);
  // A job without the source cannot take the enumerator's state.
  eddy::job_graph other;
  other.add_node(eddy::node_kind::source, "other").uid = "other-uid";
  CHECK_FALSE(eddy::detail::load_restore_set(**store, job, other, 128));
}
