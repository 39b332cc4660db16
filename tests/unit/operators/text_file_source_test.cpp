#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eddy/operators/sources.hpp"

namespace {

/// The end of a test chain: records every line it receives.
class line_recorder final : public eddy::input_op<std::string> {
 public:
  void process(std::vector<std::string>& records) override {
    largest_batch = std::max(largest_batch, records.size());
    for (auto& r : records) lines.push_back(std::move(r));
  }
  void finish() override { ++finished; }
  std::vector<std::string> lines;
  std::size_t largest_batch = 0;
  int finished = 0;
};

/// A file under the temp directory with a unique name, removed on destruction.
class temp_file {
 public:
  explicit temp_file(const std::string& content) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("eddy_text_source_test_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter.fetch_add(1)) + ".txt"))
                .string();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write test file " + path_);
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// The lines of `content`: split at "\n", a trailing "\r" removed from each line, no line after
/// a final "\n".
std::vector<std::string> expected_lines(const std::string& content) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    auto nl = content.find('\n', start);
    const std::size_t stop = nl == std::string::npos ? content.size() : nl;
    std::string line = content.substr(start, stop - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

/// Reads the lines subtask `index` of `parallelism` emits, calling produce(max_records) until
/// the source reports its end.
std::vector<std::string> read_subtask(const std::string& path, int index, int parallelism,
                                      std::size_t max_records) {
  line_recorder rec;
  eddy::text_file_source src(path, &rec);
  eddy::subtask_info info;
  info.index = index;
  info.parallelism = parallelism;
  info.batch_size = max_records;
  src.open(info);
  int calls = 0;
  for (;;) {
    const auto before = rec.lines.size();
    const auto st = src.produce(max_records);
    REQUIRE(rec.lines.size() - before <= max_records);
    if (st == eddy::source_status::end) break;
    REQUIRE(st == eddy::source_status::more);
    REQUIRE(++calls < 10'000'000);  // no endless loop
  }
  // Calling produce after the end changes nothing.
  const auto n = rec.lines.size();
  CHECK(src.produce(max_records) == eddy::source_status::end);
  CHECK(rec.lines.size() == n);
  return rec.lines;
}

/// Checks that for parallelism 1..5 the subtasks together read exactly the file's lines:
/// concatenated in subtask order they give the file's lines in order (each subtask reads a
/// contiguous byte range), hence also the same multiset.
void check_all_parallelisms(const std::string& content,
                            std::vector<std::size_t> max_records = {1, 7, 1024}) {
  temp_file f(content);
  const auto expected = expected_lines(content);
  for (std::size_t m : max_records) {
    for (int p = 1; p <= 5; ++p) {
      INFO("parallelism " << p << ", max_records " << m << ", file size " << content.size()
                          << ", lines " << expected.size());
      std::vector<std::string> all;
      for (int i = 0; i < p; ++i) {
        auto part = read_subtask(f.path(), i, p, m);
        all.insert(all.end(), part.begin(), part.end());
      }
      auto sorted_all = all;
      auto sorted_expected = expected;
      std::sort(sorted_all.begin(), sorted_all.end());
      std::sort(sorted_expected.begin(), sorted_expected.end());
      REQUIRE(all.size() == expected.size());
      CHECK(sorted_all == sorted_expected);  // the same multiset
      CHECK(all == expected);                // and in file order
    }
  }
}

/// Random content: short, empty and (with probability `long_percent` %) very long lines (> 1 MiB,
/// the read chunk), with "\n" or "\r\n" endings.
std::string random_content(std::uint32_t seed, int lines, bool trailing_newline, int long_percent) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> kind(0, 99);
  std::uniform_int_distribution<int> short_len(1, 80);
  std::uniform_int_distribution<int> ch(0, 62);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
  std::string content;
  for (int i = 0; i < lines; ++i) {
    const int k = kind(rng);
    std::size_t len = 0;
    if (k < 15)
      len = 0;  // empty line
    else if (k < 100 - long_percent)
      len = static_cast<std::size_t>(short_len(rng));
    else
      len = (1u << 20) + static_cast<std::size_t>(short_len(rng)) * 9973;  // > 1 MiB
    for (std::size_t j = 0; j < len; ++j)
      content.push_back(alphabet[static_cast<std::size_t>(ch(rng))]);
    const bool last = i + 1 == lines;
    if (last && !trailing_newline) break;
    content += kind(rng) < 30 ? "\r\n" : "\n";
  }
  return content;
}

std::size_t longest_line(const std::string& content) {
  std::size_t longest = 0;
  for (const auto& l : expected_lines(content)) longest = std::max(longest, l.size());
  return longest;
}

}  // namespace

TEST_CASE("text file source subtasks together read every line exactly once") {
  SECTION("random lines ending with a newline") {
    const auto content = random_content(1, 300, true, 3);
    REQUIRE(longest_line(content) > (1u << 20));
    REQUIRE(content.find("\r\n") != std::string::npos);
    REQUIRE(content.find("\n\n") != std::string::npos);
    check_all_parallelisms(content);
  }
  SECTION("random lines without a trailing newline") {
    const auto content = random_content(2, 300, false, 3);
    REQUIRE(longest_line(content) > (1u << 20));
    REQUIRE(content.back() != '\n');
    check_all_parallelisms(content);
  }
  SECTION("many short lines") {
    check_all_parallelisms(random_content(3, 5000, true, 0), {64, 1024});
  }
}

TEST_CASE("text file source handles lines longer than the read chunk") {
  const std::string long_line(3 * (1 << 20) + 17, 'x');
  SECTION("one long line without a newline") {
    check_all_parallelisms(long_line, {1});
  }
  SECTION("long lines between short ones with crlf endings") {
    check_all_parallelisms("a\r\n" + long_line + "\r\n\r\nb\n" + long_line + "y\nz", {1, 4});
  }
  SECTION("a crlf ending split by the chunk boundary") {
    // The "\r" is the last byte of the first 1 MiB chunk and the "\n" the first of the next.
    const std::string first((1 << 20) - 1, 'p');
    check_all_parallelisms(first + "\r\nq\r\n", {1, 4});
  }
}

TEST_CASE("text file source handles tiny files at any parallelism") {
  for (const std::string content :
       {"a", "\n", "\n\n", "\r\n", "a\r\n", "ab\n", "abc\ndef", "x\n\ny\n", "\n\n\n\nz"}) {
    INFO("content of " << content.size() << " bytes");
    check_all_parallelisms(content, {1, 1024});
  }
}

TEST_CASE("text file source strips crlf line endings") {
  temp_file f("one\r\ntwo\r\n\r\nthree\r\n");
  CHECK(read_subtask(f.path(), 0, 1, 1024) == std::vector<std::string>{"one", "two", "", "three"});
}

TEST_CASE("text file source emits at most max_records lines per produce call") {
  std::string content;
  for (int i = 0; i < 100; ++i) content += "line " + std::to_string(i) + "\n";
  temp_file f(content);
  line_recorder rec;
  eddy::text_file_source src(f.path(), &rec);
  eddy::subtask_info info;
  info.batch_size = 8;
  src.open(info);
  int calls = 0;
  while (src.produce(8) == eddy::source_status::more) REQUIRE(++calls < 1000);
  CHECK(rec.largest_batch <= 8);
  CHECK(rec.lines.size() == 100);
  CHECK(src.counters().records_out == 100);
  CHECK(calls >= 100 / 8 - 1);
}

TEST_CASE("text file source over an empty file yields no lines") {
  temp_file f("");
  for (int p = 1; p <= 3; ++p)
    for (int i = 0; i < p; ++i) CHECK(read_subtask(f.path(), i, p, 16).empty());
}

TEST_CASE("text file source open of a missing file throws naming the path") {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("eddy_text_source_test_missing_" + std::to_string(::getpid()) + ".txt"))
          .string();
  std::filesystem::remove(path);
  line_recorder rec;
  eddy::text_file_source src(path, &rec);
  CHECK_THROWS_WITH(src.open(eddy::subtask_info{}), Catch::Contains(path));
}

TEST_CASE("text file source open of a directory throws naming the path") {
  const std::string dir = std::filesystem::temp_directory_path().string();
  line_recorder rec;
  eddy::text_file_source src(dir, &rec);
  CHECK_THROWS_WITH(src.open(eddy::subtask_info{}), Catch::Contains(dir));
}

TEST_CASE("text file source finish forwards to the next operator") {
  temp_file f("a\n");
  line_recorder rec;
  eddy::text_file_source src(f.path(), &rec);
  src.open(eddy::subtask_info{});
  while (src.produce(16) != eddy::source_status::end) {
  }
  src.finish();
  CHECK(rec.finished == 1);
  CHECK(rec.lines == std::vector<std::string>{"a"});
}

namespace {

/// What a restore hands subtask `index` of `parallelism` of the entries snapshotted by every old
/// subtask (as runtime/src/restore.cpp does for union state).
std::vector<eddy::state_entry> union_entries(const std::vector<std::vector<eddy::state_entry>>& old,
                                             int index, int parallelism) {
  std::vector<eddy::state_entry> out;
  const bool same = static_cast<int>(old.size()) == parallelism;
  for (std::size_t i = 0; i < old.size(); ++i)
    if (!same || static_cast<int>(i) == index) out.insert(out.end(), old[i].begin(), old[i].end());
  return out;
}

}  // namespace

TEST_CASE("a text file source restored at another parallelism reads every line exactly once",
          "[text_file_source][checkpoint]") {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const auto content = random_content(seed, 300 + static_cast<int>(seed) * 37, seed % 2 == 0, 0);
    temp_file f(content);
    auto expected = expected_lines(content);
    std::mt19937 rng(seed);
    const int p1 = 1 + static_cast<int>(rng() % 4);
    const int p2 = 1 + static_cast<int>(rng() % 4);
    INFO("seed " << seed << ", parallelism " << p1 << " -> " << p2);
    std::vector<std::string> seen;
    // First run: every subtask reads a few batches, then the checkpoint is taken.
    std::vector<std::vector<eddy::state_entry>> snapshots(static_cast<std::size_t>(p1));
    for (int i = 0; i < p1; ++i) {
      line_recorder rec;
      eddy::text_file_source src(f.path(), &rec);
      eddy::subtask_info info;
      info.index = i;
      info.parallelism = p1;
      src.open(info);
      const int steps = static_cast<int>(rng() % 5);
      for (int k = 0; k < steps; ++k)
        if (src.produce(1 + rng() % 20) == eddy::source_status::end) break;
      src.snapshot_state(1, snapshots[static_cast<std::size_t>(i)]);
      seen.insert(seen.end(), rec.lines.begin(), rec.lines.end());
    }
    // Restored run: every new subtask reads its share to the end.
    for (int i = 0; i < p2; ++i) {
      line_recorder rec;
      eddy::text_file_source src(f.path(), &rec);
      eddy::subtask_info info;
      info.index = i;
      info.parallelism = p2;
      src.open(info);
      src.restore_state(union_entries(snapshots, i, p2));
      int calls = 0;
      while (src.produce(1 + rng() % 50) != eddy::source_status::end) REQUIRE(++calls < 1'000'000);
      seen.insert(seen.end(), rec.lines.begin(), rec.lines.end());
    }
    std::sort(seen.begin(), seen.end());
    std::sort(expected.begin(), expected.end());
    REQUIRE(seen.size() == expected.size());
    CHECK(seen == expected);
  }
}

// ---- streams: stdin, pipes, named pipes (read by subtask 0 alone, never rewound) -----------

namespace {

/// A pipe whose write end a thread fills with `content` (then closes it).
class pipe_writer {
 public:
  explicit pipe_writer(std::string content) {
    ::signal(SIGPIPE, SIG_IGN);  // a reader that gave up ends the writer with EPIPE
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read_fd_ = fds[0];
    thread_ = std::thread([fd = fds[1], content = std::move(content)] {
      write_all(fd, content);
      ::close(fd);
    });
  }
  ~pipe_writer() {
    ::close(read_fd_);  // first: a writer blocked on a full pipe then fails and ends
    thread_.join();
  }
  pipe_writer(const pipe_writer&) = delete;
  pipe_writer& operator=(const pipe_writer&) = delete;
  /// The read end as a path, as process substitution `<(...)` gives it.
  [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(read_fd_); }
  [[nodiscard]] int read_fd() const { return read_fd_; }

  static void write_all(int fd, const std::string& s) {
    std::size_t at = 0;
    while (at < s.size()) {
      const auto n = ::write(fd, s.data() + at, s.size() - at);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }

 private:
  int read_fd_ = -1;
  std::thread thread_;
};

/// Runs `src` (opened) to its end; idle answers are retried after a short pause.
void drain(eddy::text_file_source& src, std::size_t max_records = 7) {
  int calls = 0;
  for (;;) {
    const auto st = src.produce(max_records);
    if (st == eddy::source_status::end) return;
    if (st == eddy::source_status::idle || st == eddy::source_status::wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE(++calls < 1'000'000);
  }
}

/// The lines subtask `index` of `parallelism` reads from the stream at `path`.
std::vector<std::string> read_stream(const std::string& path, int index, int parallelism) {
  line_recorder rec;
  eddy::text_file_source src(path, &rec);
  eddy::subtask_info info;
  info.index = index;
  info.parallelism = parallelism;
  src.open(info);
  drain(src);
  return rec.lines;
}

/// Puts a pipe on fd 0 for the test's lifetime (restoring the old stdin after).
class stdin_pipe {
 public:
  explicit stdin_pipe(std::string content) : writer_(std::move(content)) {
    saved_ = ::dup(0);
    REQUIRE(saved_ >= 0);
    REQUIRE(::dup2(writer_.read_fd(), 0) == 0);
  }
  ~stdin_pipe() {
    ::dup2(saved_, 0);
    ::close(saved_);
  }
  stdin_pipe(const stdin_pipe&) = delete;
  stdin_pipe& operator=(const stdin_pipe&) = delete;

 private:
  pipe_writer writer_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("text file source reads a pipe whole in subtask 0 and nothing in the others",
          "[text_file_source][stream]") {
  const auto content = random_content(7, 4000, false, 1);  // > 1 MiB lines and a pipe's buffer
  REQUIRE(content.size() > (1u << 20));
  for (int p = 1; p <= 3; ++p) {
    INFO("parallelism " << p);
    pipe_writer w(content);
    CHECK(read_stream(w.path(), 0, p) == expected_lines(content));
    for (int i = 1; i < p; ++i) CHECK(read_stream(w.path(), i, p).empty());
  }
}

TEST_CASE("text file source reads stdin given as a dash", "[text_file_source][stream]") {
  stdin_pipe in("a b a\r\nc\n\nlast");
  CHECK(read_stream("-", 1, 2).empty());
  CHECK(read_stream("-", 0, 2) == std::vector<std::string>{"a b a", "c", "", "last"});
}

TEST_CASE("text file source reads a named pipe whose writer comes later",
          "[text_file_source][stream]") {
  const auto fifo = std::filesystem::temp_directory_path() /
                    ("eddy_text_source_fifo_" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  line_recorder rec;
  eddy::text_file_source src(fifo.string(), &rec);
  std::atomic<int> wakes{0};
  src.set_waker(eddy::source_waker([&] { ++wakes; }));
  src.open(eddy::subtask_info{});  // does not wait for a writer
  // No writer yet: the source waits (nothing polls it), not at its end.
  CHECK(src.produce(16) == eddy::source_status::wait);
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    pipe_writer::write_all(fd, "x\ny\n");
    ::close(fd);
  });
  // The source's watcher wakes it once the writer wrote (bounded wait; the time is not checked).
  for (int i = 0; i < 1000 && wakes == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(wakes > 0);
  drain(src);
  writer.join();
  std::filesystem::remove(fifo);
  CHECK(rec.lines == std::vector<std::string>{"x", "y"});
}

TEST_CASE("a text file source over a stream checkpoints but cannot be rewound",
          "[text_file_source][stream][checkpoint]") {
  std::string content;
  for (int i = 0; i < 2000; ++i) content += "line " + std::to_string(i) + "\n";
  auto progress = std::make_shared<eddy::detail::stream_input_progress>();
  pipe_writer w(content);
  std::vector<eddy::state_entry> mid, end;
  line_recorder rec;
  {
    eddy::text_file_source src(w.path(), &rec, progress);
    src.open(eddy::subtask_info{});
    while (rec.lines.empty()) src.produce(10);
    src.snapshot_state(1, mid);  // a first run with checkpoints works
    drain(src);
    src.snapshot_state(2, end);
  }
  CHECK(rec.lines == expected_lines(content));
  CHECK(progress->bytes_read == content.size());

  SECTION("a restore into the middle of the stream fails naming it") {
    line_recorder again;
    eddy::text_file_source src(w.path(), &again, progress);
    src.open(eddy::subtask_info{});
    CHECK_THROWS_WITH(
        src.restore_state(mid),
        Catch::Contains("input '" + w.path() + "' is a stream and cannot be re-read") &&
            Catch::Contains("the checkpoint resumes it at byte"));
  }
  SECTION("a restart without a checkpoint fails instead of reading the rest") {
    line_recorder again;
    eddy::text_file_source src(w.path(), &again, progress);
    src.open(eddy::subtask_info{});
    CHECK_THROWS_WITH(src.produce(10),
                      Catch::Contains("cannot be re-read") &&
                          Catch::Contains(std::to_string(content.size()) + " bytes of it"));
    CHECK(again.lines.empty());
  }
  SECTION("a restore after the stream was read to its end reads nothing") {
    line_recorder again;
    eddy::text_file_source src(w.path(), &again, progress);
    src.open(eddy::subtask_info{});
    src.restore_state(end);
    CHECK(src.produce(10) == eddy::source_status::end);
    CHECK(again.lines.empty());
  }
}
