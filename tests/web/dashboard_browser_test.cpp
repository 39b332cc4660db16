// The dashboard in headless Chromium, driven through chromedriver's WebDriver protocol (plain
// HTTP, so the test needs no npm package): the page loads, draws the job's operators, its
// numbers update, and its Cancel button cancels the job. Screenshots go to
// BUILD/web-screenshots/ (docs/web-ui.md shows one).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "eddy/web/local_jobs.hpp"
#include "eddy/web/rest_server.hpp"
#include "support/eddy_process.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"
#include "web/rest_test_jobs.hpp"

using namespace std::chrono_literals;
using eddy::testing::eventually;
using nlohmann::json;

namespace {

constexpr const char* chromium = "/usr/bin/chromium";
constexpr const char* chromedriver = "/usr/bin/chromedriver";

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// chromedriver on a loopback port, killed (with its browsers) at the end.
class driver_process {
 public:
  driver_process(std::uint16_t port, const std::filesystem::path& log) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const auto flag = "--port=" + std::to_string(port);
      ::execl(chromedriver, chromedriver, flag.c_str(), "--allowed-ips=127.0.0.1",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~driver_process() {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    const auto pos = chars.find(c);
    if (pos == std::string::npos) continue;  // '=' and line breaks
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

/// A WebDriver session (W3C protocol) on chromedriver.
class browser {
 public:
  explicit browser(std::uint16_t port) : http_(port) {
    const json caps = {{"capabilities",
                        {{"alwaysMatch",
                          {{"browserName", "chrome"},
                           {"goog:chromeOptions",
                            {{"binary", chromium},
                             {"args",
                              {"--headless=new", "--no-sandbox", "--disable-gpu",
                               "--disable-dev-shm-usage", "--window-size=1400,1200"}}}}}}}}};
    eddy::testing::http_reply r;
    REQUIRE(eventually(
        [&] {
          r = http_.post("/session", caps.dump());
          return r.status == 200;
        },
        30s));
    session_ = "/session/" + r.json()["value"]["sessionId"].get<std::string>();
  }
  ~browser() { (void)http_.del(session_); }
  void go(const std::string& url) {
    REQUIRE(http_.post(session_ + "/url", json{{"url", url}}.dump()).status == 200);
  }
  json run(const std::string& script) {
    const auto r = http_.post(session_ + "/execute/sync",
                              json{{"script", script}, {"args", json::array()}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json()["value"];
  }
  void click(const std::string& css) {
    const auto r =
        http_.post(session_ + "/element", json{{"using", "css selector"}, {"value", css}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    const auto id = r.json()["value"].begin().value().get<std::string>();
    REQUIRE(http_.post(session_ + "/element/" + id + "/click", "{}").status == 200);
  }
  void screenshot(const std::filesystem::path& to) {
    const auto r = http_.get(session_ + "/screenshot");
    REQUIRE(r.status == 200);
    std::filesystem::create_directories(to.parent_path());
    std::ofstream(to, std::ios::binary) << base64_decode(r.json()["value"].get<std::string>());
  }

 private:
  struct client : eddy::testing::http_client {
    using http_client::http_client;
  } http_;
  std::string session_;
};

}  // namespace

TEST_CASE("the dashboard draws a running job, updates its numbers and cancels it",
          "[web][browser]") {
  INFO(
      "the browser test needs Debian's chromium and chromium-driver "
      "(scripts/install-deps.sh installs them)");
  REQUIRE(std::filesystem::exists(chromium));
  REQUIRE(std::filesystem::exists(chromedriver));
  eddy::testing::register_rest_test_programs();
  eddy::testing::temp_dir tmp{"eddy-browser"};
  eddy::web::local_jobs jobs;
  eddy::web::rest_options o;
  o.port = 0;
  o.sample_interval = 250ms;
  auto server = eddy::web::rest_server::start(jobs, o);
  REQUIRE(server);
  eddy::testing::http_client api((*server)->port());
  const auto id =
      api.post("/jobs", R"({"program": "rest-test-ticks", "args": ["-p", "2", "--busy"]})")
          .json()["jobid"]
          .get<std::string>();

  const auto port = free_port();
  driver_process driver(port, tmp.path() / "chromedriver.log");
  browser b(port);
  b.go("http://127.0.0.1:" + std::to_string((*server)->port()) + "/");

  // The jobs table lists the job and the graph shows its operators.
  REQUIRE(eventually(
      [&] {
        return b.run("return document.querySelectorAll('#graph .vertex').length").get<int>() == 2;
      },
      30s));
  const auto names = b.run(
      "return Array.from(document.querySelectorAll('#graph .vertex-name')).map(e => "
      "e.textContent).join('|')");
  CHECK(names.get<std::string>().find("ticks") != std::string::npos);
  CHECK(names.get<std::string>().find("double") != std::string::npos);
  CHECK(b.run("return document.querySelector('#jobs tbody tr').dataset.job").get<std::string>() ==
        id);
  CHECK(b.run("return document.querySelectorAll('#subtasks tbody tr').length").get<int>() == 3);

  // The numbers update: the source's records out grow between two refreshes.
  const std::string source_out =
      "return document.querySelector('#subtasks tbody tr:nth-child(1) td:nth-child(5)')"
      ".textContent.replace(/,/g, '')";
  const auto first = std::stoll(b.run(source_out).get<std::string>());
  REQUIRE(
      eventually([&] { return std::stoll(b.run(source_out).get<std::string>()) > first; }, 30s));
  REQUIRE(eventually(
      [&] {
        return b.run(
                    "return document.querySelector('#graph .vertex text:nth-of-type(3)')"
                    ".textContent")
                   .get<std::string>()
                   .find("out 0/s") == std::string::npos;
      },
      30s));
  const auto shots = std::filesystem::path(EDDY_BUILD_DIR) / "web-screenshots";
  b.screenshot(shots / "dashboard.png");
  CHECK(std::filesystem::file_size(shots / "dashboard.png") > 1000);

  // A savepoint appears in the checkpoints table; a click shows each subtask's part in it.
  const auto sp = api.post("/jobs/" + id + "/savepoints",
                           json{{"target-directory", (tmp.path() / "sp").string()}}.dump());
  INFO(sp.body);
  REQUIRE(sp.status == 200);
  REQUIRE(eventually(
      [&] {
        return b.run("return document.querySelectorAll('#checkpoints tbody tr.clickable').length")
                   .get<int>() == 1;
      },
      30s));
  // (A click in the page itself: the table's rows are redrawn every refresh, so a WebDriver
  // element reference can go stale between finding and clicking it.)
  b.run("document.querySelector('#checkpoints tbody tr.clickable').click()");
  REQUIRE(eventually(
      [&] {
        return b.run("return document.querySelectorAll('#checkpoint-subtasks tbody tr').length")
                   .get<int>() == 3;
      },
      30s));
  CHECK_FALSE(b.run("return document.getElementById('checkpoint-detail').hidden").get<bool>());
  CHECK(b.run("return document.querySelector('#checkpoint-subtasks tbody tr td:nth-child(3)')"
              ".textContent")
            .get<std::string>() == "COMPLETED");
  b.screenshot(shots / "dashboard-checkpoint.png");

  // The flame graph of the busy vertex: sampled for a second, drawn as frames.
  b.run(
      "const s = document.getElementById('fg-vertex');"
      "s.value = [...s.options].find(o => o.textContent.includes('double')).value;");
  b.click("#fg-sample");
  REQUIRE(eventually(
      [&] {
        return b.run("return document.querySelectorAll('#flamegraph .frame').length").get<int>() >
               1;
      },
      30s));
  CHECK(b.run("return document.getElementById('fg-result').textContent")
            .get<std::string>()
            .find("samples") != std::string::npos);
  CHECK(b.run("return [...document.querySelectorAll('#flamegraph .frame')].some(f => "
              "f.textContent.includes('rest_test_busy_work'))")
            .get<bool>());
  b.screenshot(shots / "dashboard-flamegraph.png");

  // The Cancel button cancels the job.
  b.click("#cancel");
  REQUIRE(eventually([&] { return api.get("/jobs/" + id).json()["state"] == "CANCELED"; }, 30s));
  REQUIRE(eventually(
      [&] {
        return b.run("return document.querySelector('#jobs tbody tr td:nth-child(3)').textContent")
                   .get<std::string>() == "CANCELED";
      },
      30s));
  b.screenshot(shots / "dashboard-canceled.png");
}
