// restore_for (runtime/src/restore.cpp): which state entries a subtask gets back.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "../../../runtime/src/restore.hpp"

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
