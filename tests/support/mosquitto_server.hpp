#pragma once
// A throwaway Mosquitto 2.0 MQTT broker for the connector tests: /usr/sbin/mosquitto on
// 127.0.0.1 only (a free port), anonymous clients allowed unless users are given, no limit on
// the messages queued for a persistent session, and persistence (to its temp directory) only if
// asked. Under root the config says `user root`: otherwise mosquitto drops to user "mosquitto",
// which cannot write the (root's, 0700) directory, and persistence fails with no more than a
// line in the log. The client helpers run mosquitto_pub / mosquitto_sub, logging in as the first
// user if there are users. The object stops the broker and removes the directory.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eddy::testing {

struct mosquitto_options {
  /// `persistence true`: a stopped (not a killed) broker saves its sessions, their queued
  /// messages and the retained ones, and start() loads them again.
  bool persistence = false;
  /// Name and password of each user (a password file, anonymous clients refused).
  std::vector<std::pair<std::string, std::string>> users = {};
  /// Lines for the listener's section (e.g. "cafile ...", "certfile ...", "keyfile ..." for
  /// TLS; publish() and the subscribe helpers then do not reach it).
  std::vector<std::string> listener_lines = {};
};

class mosquitto_server {
 public:
  /// Starts the broker; fails the test if it does not accept connections within 10 s.
  explicit mosquitto_server(mosquitto_options options = {}) : options_(std::move(options)) {
    char tmpl[] = "/tmp/eddy-mqtt-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    try {
      for (std::size_t i = 0; i < options_.users.size(); ++i) {
        std::vector<std::string> args{"/usr/bin/mosquitto_passwd", "-b", path("passwd"),
                                      options_.users[i].first, options_.users[i].second};
        if (i == 0) args.insert(args.begin() + 1, "-c");  // creates the file
        run_ok(args);
      }
      // The port is free when picked but may be taken before mosquitto binds it: pick again.
      for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        write_config();
        if (launch()) break;
        INFO("the broker log:\n" << log());
        REQUIRE(attempt < 5);
      }
    } catch (...) {
      teardown();
      throw;
    }
  }
  ~mosquitto_server() { teardown(); }
  mosquitto_server(const mosquitto_server&) = delete;
  mosquitto_server& operator=(const mosquitto_server&) = delete;

  [[nodiscard]] int port() const { return port_; }
  /// "mqtt://127.0.0.1:PORT/FILTER", then "?QUERY" unless `query` is empty.
  [[nodiscard]] std::string uri(const std::string& topic_filter,
                                const std::string& query = "") const {
    return "mqtt://127.0.0.1:" + std::to_string(port_) + "/" + topic_filter +
           (query.empty() ? "" : "?" + query);
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  /// The broker's log (all its starts): errors, notices, connections and subscriptions.
  [[nodiscard]] std::string log() const { return slurp(dir_ / "mosquitto.log"); }

  /// Publishes one message (an empty `payload` is a zero-length message); fails the test if
  /// mosquitto_pub fails.
  void publish(const std::string& topic, const std::string& payload, int qos = 0) {
    auto args = client("/usr/bin/mosquitto_pub", topic, qos);
    if (payload.empty()) {
      args.emplace_back("-n");
    } else {
      args.insert(args.end(), {"-m", payload});
    }
    run_ok(args);
  }
  /// Publishes each of `lines` as a message, in order, over one connection (mosquitto_pub -l).
  void publish_lines(const std::string& topic, const std::vector<std::string>& lines, int qos = 0) {
    const auto in = scratch();
    {
      std::ofstream f(in, std::ios::binary);
      for (const auto& l : lines) f << l << '\n';
    }
    auto args = client("/usr/bin/mosquitto_pub", topic, qos);
    args.emplace_back("-l");
    run_ok(args, in);
    std::filesystem::remove(in);
  }

  /// Subscribes to `filter` and returns once the broker has the subscription; the future gets
  /// the messages received ("TOPIC PAYLOAD" lines, mosquitto_sub -v) once `count` arrived or
  /// `timeout` passed (then fewer, or none if the connection broke). A non-empty `client_id`
  /// is a persistent session (clean session off): what was queued for it arrives too.
  std::future<std::vector<std::string>> subscribe_async(
      const std::string& filter, std::size_t count,
      std::chrono::seconds timeout = std::chrono::seconds(10), int qos = 0,
      const std::string& client_id = "") {
    static std::atomic<int> counter{0};
    const bool session = !client_id.empty();
    const std::string id =
        session ? client_id
                : "eddy-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto args = client("/usr/bin/mosquitto_sub", filter, qos);
    args.insert(args.end(), {"-v", "-i", id, "-C", std::to_string(count), "-W",
                             std::to_string(std::max<long>(1, timeout.count()))});
    if (session) args.emplace_back("-c");
    const std::string logged = " " + id + " " + std::to_string(qos) + " " + filter;
    const std::size_t before = log_lines_ending(logged);
    const auto out = scratch(), err = scratch();
    const pid_t pid = spawn(args, "/dev/null", out, err);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (log_lines_ending(logged) == before) {
      int st = 0;
      const bool exited = ::waitpid(pid, &st, WNOHANG) == pid;
      if (exited || std::chrono::steady_clock::now() > end) {
        if (!exited) reap(pid, SIGKILL);
        INFO("mosquitto_sub: " << slurp(err) << "\nthe broker log:\n" << log());
        std::filesystem::remove(out);
        std::filesystem::remove(err);
        FAIL("mosquitto_sub -t " << filter << (exited ? " ended" : " waited 10 s")
                                 << " without subscribing");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::async(std::launch::async, [pid, out, err] {
      reap(pid);
      std::vector<std::string> lines;
      std::istringstream in(slurp(out));
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      std::filesystem::remove(out);
      std::filesystem::remove(err);
      return lines;
    });
  }
  /// subscribe_async(...).get(): blocks until `count` messages arrived or `timeout` passed.
  std::vector<std::string> subscribe_collect(
      const std::string& filter, std::size_t count,
      std::chrono::seconds timeout = std::chrono::seconds(10), int qos = 0,
      const std::string& client_id = "") {
    return subscribe_async(filter, count, timeout, qos, client_id).get();
  }
  /// Creates the persistent session `client_id` subscribed to `filter` and disconnects it: the
  /// broker queues what is published from now on (qos >= 1) for subscribe_*(..., client_id).
  void create_session(const std::string& client_id, const std::string& filter, int qos = 1) {
    auto args = client("/usr/bin/mosquitto_sub", filter, qos);
    args.insert(args.end(), {"-c", "-i", client_id, "-E"});  // -E: exits once subscribed
    run_ok(args);
  }
  /// Waits until the broker logged `n` subscriptions (by any clients, since the first start)
  /// to `filter`, e.g. those of the eddy job under test; fails the test after `timeout`.
  void wait_for_subscriptions(const std::string& filter, std::size_t n = 1,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (log_lines_ending(" 0 " + filter) + log_lines_ending(" 1 " + filter) +
               log_lines_ending(" 2 " + filter) <
           n) {
      if (std::chrono::steady_clock::now() > end)
        FAIL("fewer than " << n << " subscriptions to " << filter << "; the broker log:\n"
                           << log());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  /// SIGTERM, waiting for the broker to exit (with persistence it saves its state first).
  void stop() {
    REQUIRE(running());
    reap(pid_, SIGTERM);
    pid_ = -1;
  }
  /// Starts the stopped or killed broker again: same port and configuration.
  void start() {
    REQUIRE_FALSE(running());
    if (!launch()) FAIL("mosquitto did not start again; its log:\n" << log());
  }
  /// SIGKILL: a crash; what was not saved yet (persistence saves at stop) is lost.
  void kill() {
    REQUIRE(running());
    reap(pid_, SIGKILL);
    pid_ = -1;
  }

 private:
  [[nodiscard]] std::string path(const char* name) const { return (dir_ / name).string(); }
  std::string scratch() {
    static std::atomic<int> counter{0};
    return (dir_ / ("client-" + std::to_string(counter++))).string();
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  [[nodiscard]] std::size_t log_lines_ending(const std::string& suffix) const {
    std::size_t n = 0;
    std::istringstream in(log());
    for (std::string l; std::getline(in, l);)
      n += l.size() >= suffix.size() &&
           l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0;
    return n;
  }
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    REQUIRE(ok);
    return ntohs(a.sin_port);
  }
  [[nodiscard]] bool accepts_connections() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (fd >= 0) ::close(fd);
    return ok;
  }
  /// `tool` with the host, port, credentials, topic (-t) and QoS.
  std::vector<std::string> client(const char* tool, const std::string& topic, int qos) const {
    std::vector<std::string> args{tool, "-h", "127.0.0.1", "-p", std::to_string(port_)};
    args.insert(args.end(), {"-t", topic, "-q", std::to_string(qos)});
    if (!options_.users.empty())
      args.insert(args.end(), {"-u", options_.users[0].first, "-P", options_.users[0].second});
    return args;
  }
  void write_config() {
    std::ofstream f(path("mosquitto.conf"), std::ios::trunc);
    f << "listener " << port_ << " 127.0.0.1\n";
    for (const auto& l : options_.listener_lines) f << l << "\n";
    f << "allow_anonymous " << (options_.users.empty() ? "true" : "false") << "\n"
      << "max_queued_messages 0\n"
      << "persistence " << (options_.persistence ? "true" : "false") << "\n"
      << "persistence_location " << dir_.string() << "/\n"
      << "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n"
      << "log_type information\nlog_type subscribe\n";
    if (!options_.users.empty()) f << "password_file " << path("passwd") << "\n";
    if (::geteuid() == 0) f << "user root\n";
    REQUIRE(f.flush());
  }

  /// Forks `argv` (stdin from `in`, stdout and stderr appended to files, no other descriptors).
  static pid_t spawn(const std::vector<std::string>& argv, const std::string& in,
                     const std::string& out, const std::string& err) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int i = ::open(in.c_str(), O_RDONLY);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (i < 0 || o < 0 || e < 0 || ::dup2(i, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0)
        ::_exit(127);
      ::close_range(3, ~0U, 0);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return pid;
  }
  /// Sends `sig` (unless 0), waits for the exit; the exit code (128 + signal if killed). A
  /// SIGTERM not obeyed within 10 s is followed by SIGKILL.
  static int reap(pid_t pid, int sig = 0) noexcept {
    if (sig) ::kill(pid, sig);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int st = 0;
    bool patient = sig == SIGTERM;
    for (pid_t r; (r = ::waitpid(pid, &st, patient ? WNOHANG : 0)) != pid;) {
      if (r < 0 && errno != EINTR) return -1;
      if (r == 0 && std::chrono::steady_clock::now() > end) {
        ::kill(pid, SIGKILL);
        patient = false;
      }
      if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  /// Runs a client program to its end; fails the test (with its output) unless it succeeds.
  void run_ok(const std::vector<std::string>& argv, const std::string& in = "/dev/null") {
    const auto out = scratch();
    const int code = reap(spawn(argv, in, out, out));
    const auto text = slurp(out);
    std::filesystem::remove(out);
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    INFO(cmd << "\nexit code " << code << ", output:\n" << text);
    REQUIRE(code == 0);
  }
  /// Starts mosquitto on port_; true once it runs and accepts connections, false if it exited
  /// (the port was taken, say). Fails the test if it is not ready within 10 s.
  bool launch() {
    const std::size_t starts = log_lines_ending(" running");
    pid_ = spawn({"/usr/sbin/mosquitto", "-c", path("mosquitto.conf")}, "/dev/null",
                 path("mosquitto.log"), path("mosquitto.log"));
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      // "running" is logged once the listener is open: the connection is not someone else's.
      if (log_lines_ending(" running") > starts && accepts_connections()) return true;
      if (std::chrono::steady_clock::now() > end) {
        reap(pid_, SIGKILL);
        pid_ = -1;
        FAIL("mosquitto did not accept connections within 10 s; its log:\n" << log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void teardown() noexcept {
    if (running()) reap(pid_, SIGTERM);
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  mosquitto_options options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace eddy::testing
