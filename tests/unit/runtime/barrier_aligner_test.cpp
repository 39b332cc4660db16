#include <catch2/catch.hpp>

#include "../../../runtime/src/barrier_aligner.hpp"

using eddy::detail::barrier_aligner;

TEST_CASE(
    "a checkpoint aligns once its barrier came from every input, blocking those that sent it") {
  barrier_aligner a(3, true);
  a.on_barrier(0, 5);
  CHECK(a.blocked(0));
  CHECK_FALSE(a.blocked(1));
  CHECK_FALSE(a.take_aligned());
  a.on_barrier(2, 5);
  CHECK(a.blocked(2));
  CHECK_FALSE(a.take_aligned());
  a.on_barrier(1, 5);
  auto got = a.take_aligned();
  REQUIRE(got);
  CHECK(got->id == 5);
  CHECK(got->released);
  CHECK_FALSE(a.blocked(0));
  CHECK_FALSE(a.blocked(1));
  CHECK_FALSE(a.blocked(2));
  CHECK_FALSE(a.take_aligned());  // taken once
}

TEST_CASE("at-least-once alignment blocks no input") {
  barrier_aligner a(2, false);
  a.on_barrier(0, 1);
  CHECK_FALSE(a.blocked(0));
  a.on_barrier(1, 1);
  auto got = a.take_aligned();
  REQUIRE(got);
  CHECK(got->id == 1);
  CHECK_FALSE(got->released);
}

TEST_CASE("an input that ended no longer holds alignment up, unless it sent the barrier") {
  barrier_aligner a(2, true);
  a.on_barrier(0, 7);
  CHECK_FALSE(a.take_aligned());
  a.on_end(1);  // input 1 ends without the barrier
  auto got = a.take_aligned();
  REQUIRE(got);
  CHECK(got->id == 7);

  barrier_aligner b(2, true);
  b.on_barrier(1, 8);
  b.on_end(1);  // it sent the barrier before it ended: still counts, input 0 must send it too
  CHECK_FALSE(b.take_aligned());
  b.on_barrier(0, 8);
  REQUIRE(b.take_aligned());

  barrier_aligner none(1, true);
  none.on_end(0);
  CHECK_FALSE(none.take_aligned());  // no barrier, no open input: nothing to align
}

TEST_CASE("checkpoints align in id order and each releases only the inputs it blocked") {
  barrier_aligner a(2, false);  // at-least-once: an input may send the next barrier early
  a.on_barrier(0, 1);
  a.on_barrier(0, 2);
  a.on_barrier(1, 1);
  auto first = a.take_aligned();
  REQUIRE(first);
  CHECK(first->id == 1);
  CHECK_FALSE(a.take_aligned());  // 2 still waits for input 1
  a.on_barrier(1, 2);
  auto second = a.take_aligned();
  REQUIRE(second);
  CHECK(second->id == 2);

  barrier_aligner e(2, true);
  e.on_barrier(0, 3);
  e.on_barrier(1, 3);
  auto three = e.take_aligned();
  REQUIRE(three);
  CHECK(three->released);
  e.on_barrier(1, 4);
  CHECK(e.blocked(1));
  CHECK_FALSE(e.blocked(0));
}

TEST_CASE("the first barrier's time is kept for the log until its checkpoint is taken") {
  barrier_aligner a(2, true);
  CHECK_FALSE(a.take_first_barrier_time(1));
  a.on_barrier(0, 1);
  a.on_barrier(0, 2);
  const auto t = a.take_first_barrier_time(1);
  REQUIRE(t);
  CHECK(*t <= std::chrono::steady_clock::now());
  CHECK_FALSE(a.take_first_barrier_time(1));  // forgotten
  CHECK(a.take_first_barrier_time(2));
}
