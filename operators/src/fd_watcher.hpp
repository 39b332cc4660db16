#pragma once
// Internal: wakes a source when a file descriptor it reads without blocking (stdin, a named
// pipe) becomes readable, so that the source returns source_status::wait instead of being
// polled. A thread of its own blocks in poll(2) on a duplicate of the descriptor (the source
// may close its own) and an eventfd (to stop it); the source arms it each time a read found
// nothing, and it calls the waker once per arming (level-triggered: data that came before the
// arming wakes at once). arm() is called from the source's actor; the destructor stops and
// joins the thread. Errors creating it throw std::runtime_error with the system's reason.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "eddy/runtime/source.hpp"

namespace eddy::detail {

class fd_watcher {
 public:
  fd_watcher(int fd, source_waker waker) : waker_(std::move(waker)) {
    fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error(std::string("cannot watch input: ") + std::strerror(errno));
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
      const int err = errno;
      ::close(fd_);
      throw std::runtime_error(std::string("cannot watch input: ") + std::strerror(err));
    }
    thread_ = std::thread([this] { run(); });
  }
  ~fd_watcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(stop_fd_);
    ::close(fd_);
  }
  fd_watcher(const fd_watcher&) = delete;
  fd_watcher& operator=(const fd_watcher&) = delete;

  /// The source found nothing to read: wake it when there is something (or the writer closed).
  void arm() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      armed_ = true;
    }
    cv_.notify_all();
  }

 private:
  void run() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return armed_ || stopping_; });
        if (stopping_) return;
      }
      pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      const int n = ::poll(p, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (p[1].revents) return;  // stopping
      {
        std::lock_guard<std::mutex> lock(mu_);
        armed_ = false;
      }
      // Readable, closed by the writer, or an error: the source's read finds out which.
      waker_.wake();
    }
  }

  source_waker waker_;
  int fd_ = -1;
  int stop_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace eddy::detail
