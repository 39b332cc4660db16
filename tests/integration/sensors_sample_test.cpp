// The sensors sample end to end through the real `eddy` binary: windows, late data, alerts and
// dead letters, at several parallelisms, against hand-checked expected output.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

const char* input_csv =
    "device_id,ts_ms,temperature\n"
    "a,1000,20.5\n"
    "a,3000,81\n"
    "b,1500,85.25\n"
    "a,11000,82\n"
    "b,12000,90\n"
    "garbage line\n"
    "a,21000,83\n"
    "b,2000,99\n"  // 19 s behind the latest reading: b's first window has fired
    "a,31000,84.5\n"
    "a,41000,79\n"
    "c,x,1\n"
    "a,14000,70\n"  // late as well
    "a,51000,81\n"
    ",5,5\n"
    "a,61000,81.0\n"
    "a,71000,82\r\n"   // CRLF is accepted
    "a,70500,80.5\n";  // 500 ms out of order: within the 2 s bound, not late

}  // namespace

TEST_CASE("the sensors sample writes windows, late readings, alerts and dead letters") {
  const int parallelism = GENERATE(1, 2, 4);
  const fs::path dir = fs::temp_directory_path() / ("eddy-sensors-" + std::to_string(getpid()) +
                                                    "-" + std::to_string(parallelism));
  fs::remove_all(dir);
  fs::create_directories(dir);
  { std::ofstream(dir / "in.csv", std::ios::binary) << input_csv; }
  const std::string cmd = std::string(EDDY_BIN) + " run sensors --input " +
                          (dir / "in.csv").string() + " --output " + (dir / "out").string() +
                          " --late " + (dir / "late").string() + " --alerts " +
                          (dir / "alerts").string() + " --dead-letter " + (dir / "dead").string() +
                          " --parallelism " + std::to_string(parallelism) + " > " +
                          (dir / "stdout").string() + " 2> " + (dir / "stderr").string();
  REQUIRE(std::system(cmd.c_str()) == 0);

  CHECK(eddy::testing::committed_lines(dir / "out") == std::vector<std::string>{
                                                           "a,0,10000,2,50.750,81",
                                                           "a,10000,20000,1,82.000,82",
                                                           "a,20000,30000,1,83.000,83",
                                                           "a,30000,40000,1,84.500,84.5",
                                                           "a,40000,50000,1,79.000,79",
                                                           "a,50000,60000,1,81.000,81",
                                                           "a,60000,70000,1,81.000,81.0",
                                                           "a,70000,80000,2,81.250,82",
                                                           "b,0,10000,1,85.250,85.25",
                                                           "b,10000,20000,1,90.000,90",
                                                       });
  CHECK(eddy::testing::committed_lines(dir / "late") ==
        std::vector<std::string>{"a,14000,70", "b,2000,99"});
  // Runs of adjacent windows with avg > 80: 10-40 s (alert at the third, ending at 40 s) and
  // 50-80 s (alert at 80 s); the 40-50 s window (79) breaks the run.
  CHECK(eddy::testing::committed_lines(dir / "alerts") ==
        std::vector<std::string>{"a,40000,ALERT", "a,80000,ALERT"});
  CHECK(eddy::testing::committed_lines(dir / "dead") ==
        std::vector<std::string>{
            "line 12: ts_ms is not an integer: c,x,1",
            "line 15: empty device_id: ,5,5",
            "line 7: expected 3 comma-separated fields (device_id,ts_ms,temperature): garbage line",
        });
  std::ifstream out(dir / "stdout");
  std::string summary((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  CHECK(summary.find("FINISHED") != std::string::npos);
  CHECK(summary.find("dead letters") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("the sensors sample refuses a missing input with one error line") {
  const fs::path dir =
      fs::temp_directory_path() / ("eddy-sensors-missing-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cmd = std::string(EDDY_BIN) + " run sensors --input " +
                          (dir / "nope.csv").string() + " --output " + (dir / "out").string() +
                          " 2> " + (dir / "stderr").string();
  CHECK(std::system(cmd.c_str()) != 0);
  std::ifstream err(dir / "stderr");
  std::string line;
  std::getline(err, line);
  CHECK(line.rfind("eddy: --input", 0) == 0);
  fs::remove_all(dir);
}
