#include "eddy/runtime/job_program.hpp"

#include <dlfcn.h>

#include <mutex>

namespace eddy {

namespace {

class registry_impl final : public job_registry {
 public:
  void add(const std::string& name, const std::string& description, job_program p) override {
    std::lock_guard g(mtx_);
    programs_[name] = entry{description, std::make_shared<const job_program>(std::move(p))};
  }
  [[nodiscard]] std::shared_ptr<const job_program> find(const std::string& name) const override {
    std::lock_guard g(mtx_);
    auto it = programs_.find(name);
    return it == programs_.end() ? nullptr : it->second.program;
  }
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> list() const override {
    std::lock_guard g(mtx_);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [n, e] : programs_) out.emplace_back(n, e.description);
    return out;
  }

 private:
  struct entry {
    std::string description;
    std::shared_ptr<const job_program> program;
  };
  mutable std::mutex mtx_;
  std::map<std::string, entry> programs_;
};

}  // namespace

job_registry& job_registry::global() {
  static registry_impl r;
  return r;
}

std::unique_ptr<job_registry> job_registry::make() {
  return std::make_unique<registry_impl>();
}

expected<std::shared_ptr<job_registry>> load_job_library(const std::string& path,
                                                         std::string name) {
  if (name.empty()) name = path;
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return error{errc::invalid_argument, "cannot load job library '" + name + "': " + ::dlerror()};
  auto* entry = reinterpret_cast<void (*)(job_registry&)>(::dlsym(handle, "eddy_register_jobs"));
  if (!entry)
    return error{errc::invalid_argument,
                 "job library '" + name + "' defines no eddy_register_jobs function"};
  std::shared_ptr<job_registry> reg = job_registry::make();
  try {
    entry(*reg);
  } catch (const std::exception& e) {
    return error{errc::invalid_argument,
                 "eddy_register_jobs of '" + name + "' failed: " + e.what()};
  }
  return reg;
}

void set_parallelism_arg(std::vector<std::string>& args, int p) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-p" || args[i] == "--parallelism") && i + 1 < args.size()) {
      args[i + 1] = std::to_string(p);
      return;
    }
    if (args[i].rfind("--parallelism=", 0) == 0) {
      args[i] = "--parallelism=" + std::to_string(p);
      return;
    }
  }
  args.push_back("-p");
  args.push_back(std::to_string(p));
}

}  // namespace eddy
