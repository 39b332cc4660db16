#pragma once
// A throwaway PostgreSQL 15 server for the connector tests: initdb into a fresh directory under
// /tmp, then `postgres` listening on 127.0.0.1 only (a free port; its unix socket in that
// directory), superuser "eddy" with trust authentication, max_prepared_transactions=20 (the
// sink's exactly-once mode) and fsync off (tests only: a kill() still keeps committed data, the
// page cache survives). initdb and postgres refuse to run as root, so under root they run as
// `nobody` (the directory is chown'ed to it). The object stops the server (SIGINT, a fast
// shutdown; SIGKILL if that hangs) and removes the directory; nothing leaves the destructor.
// Client programs (psql, pg_isready) run with every PG* variable of the environment removed.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace eddy::testing {

class postgres_server {
 public:
  /// What a client program did.
  struct result {
    int code;  ///< its exit code (128 + signal if killed)
    std::string out, err;
  };

  /// initdb and start; fails the test if the server is not accepting connections within 30 s.
  postgres_server() {
    char tmpl[] = "/tmp/eddy-pg-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    try {
      if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam("nobody");
        REQUIRE(pw != nullptr);
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        REQUIRE(::chown(dir_.c_str(), uid_, gid_) == 0);
      }
      const auto r = run({bin("initdb"), "-D", data_dir(), "-U", "eddy", "--auth=trust",
                          "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions"},
                         {}, true);
      INFO("initdb:\n" << r.out << r.err);
      REQUIRE(r.code == 0);
      write_hba();
      // The port is free when picked but may be taken before postgres binds it: pick again.
      for (int attempt = 1;; ++attempt) {
        port_ = free_port();
        if (launch()) break;
        INFO("the server log ends:\n" << log_tail());
        REQUIRE(attempt < 5);
      }
    } catch (...) {
      teardown();
      throw;
    }
  }
  ~postgres_server() { teardown(); }
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string host() const { return "127.0.0.1"; }
  /// "postgresql://eddy@127.0.0.1:PORT/DB?table=TABLE", the connector's URI as the superuser.
  [[nodiscard]] std::string uri(const std::string& db, const std::string& table) const {
    return "postgresql://eddy@127.0.0.1:" + std::to_string(port_) + "/" + db + "?table=" + table;
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] std::string data_dir() const { return (dir_ / "data").string(); }
  /// The server's whole log (all its starts), and its last lines.
  [[nodiscard]] std::string log() const { return slurp(dir_ / "postgres.log"); }
  [[nodiscard]] std::string log_tail(std::size_t lines = 40) const {
    const std::string l = log();
    std::size_t pos = l.size();
    for (std::size_t n = 0; n <= lines; ++n)  // the final newline ends the last line
      if (pos == 0 || (pos = l.rfind('\n', pos - 1)) == std::string::npos) return l;
    return l.substr(pos + 1);
  }

  /// Runs `sql` (one or more statements, as a script, stopping at the first error) in database
  /// `db` as "eddy" over TCP; returns psql's unaligned, tuples-only output without its final
  /// newline (rows on lines, columns separated by '|'). Fails the test on any error.
  std::string psql(const std::string& sql, const std::string& db = "postgres") {
    const auto r = try_psql(sql, db);
    INFO("psql -d " << db << ": " << sql << "\nexit code " << r.code << ", stderr:\n" << r.err);
    REQUIRE(r.code == 0);
    return r.out;
  }
  /// Like psql() as `user` (PGPASSWORD=`password` unless empty; psql never prompts), but
  /// returns what happened instead of failing: for tests of failed logins and statements.
  result try_psql(const std::string& sql, const std::string& db = "postgres",
                  const std::string& user = "eddy", const std::string& password = "") {
    const auto file = scratch(".sql");
    std::ofstream(file, std::ios::binary) << sql;
    auto r =
        run({"/usr/bin/psql", "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-h", host(),
             "-p", std::to_string(port_), "-U", user, "-d", db, "-f", file},
            password.empty() ? std::vector<std::string>{} : std::vector{"PGPASSWORD=" + password},
            false);
    std::filesystem::remove(file);
    if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r;
  }
  void create_database(const std::string& name) { psql("CREATE DATABASE " + quote(name, '"')); }
  /// Creates role `name` (LOGIN, nothing granted) with `password` and makes the server require
  /// it (scram-sha-256) for that role only; returns once the reloaded rules are in force.
  void add_user_with_password(const std::string& name, const std::string& password) {
    psql("CREATE ROLE " + quote(name, '"') + " LOGIN PASSWORD " + quote(password, '\''));
    password_users_.push_back(name);
    write_hba();
    psql("SELECT pg_reload_conf()");
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (try_psql("SELECT 1", "postgres", name).code == 0) {
      if (std::chrono::steady_clock::now() > end)
        FAIL("pg_hba.conf was reloaded, but " << name << " still logs in without a password");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  /// Fast shutdown (SIGINT: clients are disconnected, open transactions rolled back, prepared
  /// ones kept), waiting for the server to exit.
  void stop() {
    REQUIRE(running());
    INFO("the server log ends:\n" << log_tail());
    REQUIRE(shutdown());
  }
  /// Starts the stopped (or killed: crash recovery first) server again, same port and data.
  void start() {
    REQUIRE_FALSE(running());
    if (!launch()) FAIL("PostgreSQL did not start again; its log ends:\n" << log_tail());
  }
  /// A crash: SIGKILL to the postmaster and every process it forked, waiting until all are gone
  /// (so that start() can follow at once). Committed data stays (fsync=off only risks an OS
  /// crash); open transactions are lost, prepared ones kept.
  void kill() {
    REQUIRE(running());
    kill_all();
  }

 private:
  static std::string bin(const char* name) {
    return std::string("/usr/lib/postgresql/15/bin/") + name;
  }
  /// `s` in `q`s, those in it doubled: an SQL identifier ('"') or string literal ('\'').
  static std::string quote(const std::string& s, char q) {
    std::string r(1, q);
    for (char c : s) r.append(c == q ? 2 : 1, c);
    return r + q;
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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
  /// A state letter from /proc/PID/stat ('\0' if gone), and the parent's pid.
  static char proc_state(pid_t pid, pid_t* ppid = nullptr) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto p = s.rfind(')');
    if (p == std::string::npos || p + 2 >= s.size()) return '\0';
    if (ppid) *ppid = std::atoi(s.c_str() + p + 4);
    return s[p + 2];
  }
  std::string scratch(const char* ext) {
    static std::atomic<int> counter{0};
    return (dir_ / ("client-" + std::to_string(counter++) + ext)).string();
  }

  /// Forks `argv` (stdin /dev/null, stdout and stderr appended to files, cwd the directory,
  /// environment without PG* plus `env`), as `nobody` if `as_server` under root.
  pid_t spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
              const std::vector<std::string>& env, bool as_server) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e)
      if (std::string_view(*e).substr(0, 2) != "PG") envs.emplace_back(*e);
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
    args.push_back(nullptr);
    envp.push_back(nullptr);
    const bool drop = as_server && uid_ != 0;  // uid_: nobody's under root, else 0
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int i = ::open("/dev/null", O_RDONLY);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (i < 0 || o < 0 || e < 0 || ::dup2(i, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0)
        ::_exit(127);
      ::close_range(3, ~0U, 0);
      if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0))
        ::_exit(126);
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    return pid;
  }
  static int reap(pid_t pid, int flags = 0) {  // exit code; -1 if still running (WNOHANG)
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(pid, &st, flags)) < 0 && errno == EINTR) {
    }
    if (r == 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  result run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             bool as_server) {
    const auto out = scratch(".out"), err = scratch(".err");
    const int code = reap(spawn(argv, out, err, env, as_server));
    result r{code, slurp(out), slurp(err)};
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
  }
  void write_hba() {
    std::ofstream f(std::filesystem::path(data_dir()) / "pg_hba.conf", std::ios::trunc);
    for (const auto& u : password_users_)  // first match wins: these before the trust lines
      f << "local all " << quote(u, '"') << " scram-sha-256\nhost all " << quote(u, '"')
        << " 127.0.0.1/32 scram-sha-256\n";
    f << "local all all trust\nhost all all 127.0.0.1/32 trust\n"
         "local replication all trust\nhost replication all 127.0.0.1/32 trust\n";
    REQUIRE(f.flush());
  }

  /// Starts postgres on port_ and waits until it accepts connections; false if it exited (the
  /// port was taken, say). Fails the test if it is not ready within 30 s.
  bool launch() {
    const auto log = (dir_ / "postgres.log").string();
    pid_ = spawn({bin("postgres"), "-D", data_dir(), "-p", std::to_string(port_), "-c",
                  "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir_.string(),
                  "-c", "max_prepared_transactions=20", "-c", "fsync=off", "-c",
                  "synchronous_commit=off", "-c", "full_page_writes=off"},
                 log, log, {}, true);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      if (reap(pid_, WNOHANG) >= 0) {
        pid_ = -1;
        return false;
      }
      // Through the unix socket in our directory: no other server can answer there.
      if (run({"/usr/bin/pg_isready", "-q", "-h", dir_.string(), "-p", std::to_string(port_), "-U",
               "eddy", "-d", "postgres"},
              {}, false)
              .code == 0)
        return true;
      if (std::chrono::steady_clock::now() > end) {
        kill_all();
        FAIL("PostgreSQL did not accept connections within 30 s; its log ends:\n" << log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool shutdown() noexcept {
    ::kill(pid_, SIGINT);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (reap(pid_, WNOHANG) < 0) {
      if (std::chrono::steady_clock::now() > end) {
        kill_all();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return true;
  }
  void kill_all() noexcept {
    // Stopped first, so that it forks no more children while they are listed.
    ::kill(pid_, SIGSTOP);
    for (int i = 0;
         i < 1000 && std::string_view("TZ").find(proc_state(pid_)) == std::string_view::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::vector<pid_t> children;
    try {
      for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const pid_t p = std::atoi(e.path().filename().c_str());
        pid_t parent = 0;
        if (p > 0 && proc_state(p, &parent) != '\0' && parent == pid_) children.push_back(p);
      }
    } catch (...) {  // they notice the postmaster's death and exit by themselves
    }
    ::kill(pid_, SIGKILL);
    for (pid_t c : children) ::kill(c, SIGKILL);
    reap(pid_);
    pid_ = -1;
    for (pid_t c : children)  // gone, or a zombie (its shared memory is detached)
      for (int i = 0; i < 500 && proc_state(c) != '\0' && proc_state(c) != 'Z'; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void teardown() noexcept {
    if (running()) shutdown();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::string> password_users_;
};

}  // namespace eddy::testing
