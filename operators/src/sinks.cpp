#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "eddy/operators/sinks.hpp"

namespace eddy::detail {

void write_stdout(const std::string& text) {
  static std::mutex mtx;
  std::lock_guard<std::mutex> g(mtx);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

part_file_writer::~part_file_writer() {
  if (file_) {  // not committed (job failed or canceled): leave no partial output behind
    std::fclose(file_);
    std::remove(tmp_path_.c_str());
  }
}

void part_file_writer::open(const std::string& dir, const std::string& part_name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory '" + dir + "': " + ec.message());
  tmp_path_ = (std::filesystem::path(dir) / (".part-" + part_name + ".inprogress")).string();
  final_path_ = (std::filesystem::path(dir) / ("part-" + part_name)).string();
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!file_)
    throw std::runtime_error("cannot create output file '" + tmp_path_ +
                             "': " + std::strerror(errno));
}

void part_file_writer::write(const std::string& data) {
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size())
    throw std::runtime_error("cannot write output file '" + tmp_path_ +
                             "': " + std::strerror(errno));
}

void part_file_writer::commit() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0;
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok)
    throw std::runtime_error("cannot write output file '" + tmp_path_ + "': " + std::strerror(err));
  if (std::rename(tmp_path_.c_str(), final_path_.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp_path_ + "' to '" + final_path_ +
                             "': " + std::strerror(errno));
}

}  // namespace eddy::detail
