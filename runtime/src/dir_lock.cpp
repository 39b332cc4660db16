#include "dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

namespace eddy::detail {

namespace {

struct held {
  int fd = -1;
  int count = 0;
};

/// The locks this process holds, by canonical directory path.
struct registry {
  std::mutex mtx;
  std::map<std::string, held> locks;
};

registry& the_registry() {
  static auto* r = new registry;  // never destroyed: locks may be released during exit
  return *r;
}

/// The pid written into the lock file by its holder, or "" if there is none (yet).
std::string holder_pid(int fd) {
  char buf[32] = {};
  const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.find_first_not_of("0123456789") == std::string::npos ? s : std::string();
}

}  // namespace

expected<std::shared_ptr<dir_lock>> dir_lock::acquire(const std::string& dir,
                                                      const std::string& what) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(dir, ec);
  const std::string key =
      ec ? std::filesystem::absolute(dir).lexically_normal().string() : canonical.string();
  auto& reg = the_registry();
  std::lock_guard g(reg.mtx);
  auto& h = reg.locks[key];
  if (h.count == 0) {
    const auto path = (std::filesystem::path(key) / file_name).string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int e = errno;
      reg.locks.erase(key);
      return error{errc::io_error,
                   what + ": cannot open the lock file " + path + ": " + std::strerror(e)};
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      const auto pid = holder_pid(fd);
      ::close(fd);
      reg.locks.erase(key);
      if (e == EWOULDBLOCK)
        return error{errc::invalid_argument,
                     what + " is in use by another eddy process (" +
                         (pid.empty() ? std::string("pid unknown") : "pid " + pid) + ")"};
      return error{errc::io_error, what + ": cannot lock " + path + ": " + std::strerror(e)};
    }
    // A failed write costs only the pid in other processes' refusals: the lock holds.
    const auto text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] const auto n = ::pwrite(fd, text.data(), text.size(), 0);
    }
    h.fd = fd;
  }
  ++h.count;
  return std::shared_ptr<dir_lock>(new dir_lock(key));
}

dir_lock::~dir_lock() {
  auto& reg = the_registry();
  std::lock_guard g(reg.mtx);
  auto it = reg.locks.find(key_);
  if (it == reg.locks.end()) return;
  if (--it->second.count > 0) return;
  [[maybe_unused]] auto r = ::ftruncate(it->second.fd, 0);  // no stale pid for the next one
  ::close(it->second.fd);                                   // releases the flock
  reg.locks.erase(it);
}

}  // namespace eddy::detail
