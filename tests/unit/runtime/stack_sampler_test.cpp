// The on-CPU stack sampler behind flame graphs (runtime/src/stack_sampler.hpp): only threads
// inside a sampling_scope of the sampled job and vertex are sampled, their stacks are named
// (local functions too, from the executable's own symbol table) and folded callers first.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "../../../runtime/src/stack_sampler.hpp"
#include "../../../runtime/src/symbolizer.hpp"

namespace stack_sampler_test {

using nlohmann::json;

namespace {

std::atomic<bool> stop{false};

// Local functions (internal linkage): named from the executable's .symtab, not dladdr.
[[gnu::noinline]] std::uint64_t sampled_hot_loop(std::uint64_t x) {
  volatile std::uint64_t h = x;
  while (!stop.load(std::memory_order_relaxed))
    for (int i = 0; i < 1000; ++i) h = h * 6364136223846793005ULL + 1;
  return h;
}

[[gnu::noinline]] std::uint64_t other_vertex_loop(std::uint64_t x) {
  volatile std::uint64_t h = x;
  while (!stop.load(std::memory_order_relaxed))
    for (int i = 0; i < 1000; ++i) h = h * 2862933555777941757ULL + 3;
  return h;
}

/// Whether the tree under `node` has a frame whose name contains `part`; `path` gets the
/// frames from the root down to it.
bool find_frame(const json& node, const std::string& part, std::string& path) {
  if (node.value("name", "").find(part) != std::string::npos) {
    path = node["name"];
    return true;
  }
  for (const auto& c : node.value("children", json::array()))
    if (find_frame(c, part, path)) {
      path = node.value("name", "") + " > " + path;
      return true;
    }
  return false;
}

/// Each child's value is at most its parent's, and the children's sum too.
bool values_nest(const json& node) {
  std::uint64_t sum = 0;
  for (const auto& c : node["children"]) {
    if (c["value"].get<std::uint64_t>() > node["value"].get<std::uint64_t>() || !values_nest(c))
      return false;
    sum += c["value"].get<std::uint64_t>();
  }
  return sum <= node["value"].get<std::uint64_t>();
}

}  // namespace

TEST_CASE("the stack sampler samples only the threads running the sampled vertex", "[sampler]") {
  const int job = 0;  // any address: the sampler only compares it
  const int other_job = 0;
  stop = false;
  std::atomic<int> registered{0};  // a thread registers when it enters its first scope
  std::thread hot([&] {
    const eddy::detail::sampling_scope scope(&job, 3);
    ++registered;
    sampled_hot_loop(1);
  });
  std::thread other([&] {
    const eddy::detail::sampling_scope scope(&job, 4);  // another vertex
    ++registered;
    other_vertex_loop(2);
  });
  std::thread foreign([&] {
    const eddy::detail::sampling_scope scope(&other_job, 3);  // another job
    ++registered;
    other_vertex_loop(3);
  });
  while (registered.load() < 3) std::this_thread::yield();
  auto text = eddy::detail::sample_flame_graph(&job, 3, std::chrono::milliseconds(300));
  stop = true;
  hot.join();
  other.join();
  foreign.join();
  REQUIRE(text);
  const auto fg = json::parse(*text);
  INFO(text->substr(0, 3000));
  CHECK(fg["duration_ms"] == 300);
  CHECK(fg["data"]["name"] == "root");
  CHECK(fg["samples"].get<int>() > 10);  // ~300 at one per ms of CPU (unless starved)
  CHECK(fg["data"]["value"] == fg["samples"]);
  CHECK(fg["dropped"] == 0);
  std::string path;
  CHECK(find_frame(fg["data"], "sampled_hot_loop", path));
  INFO(path);
  CHECK(path.find("stack_sampler_test") != std::string::npos);  // named with its namespaces
  CHECK_FALSE(find_frame(fg["data"], "other_vertex_loop", path));
  CHECK(values_nest(fg["data"]));

  // Nothing runs the vertex now: no samples, an empty tree.
  const auto idle = eddy::detail::sample_flame_graph(&job, 3, std::chrono::milliseconds(20));
  REQUIRE(idle);
  const auto empty = json::parse(*idle);
  CHECK(empty["samples"] == 0);
  CHECK(empty["data"]["children"].empty());
}

TEST_CASE("demangled function names lose their parameter lists", "[sampler]") {
  using eddy::detail::demangled_function_name;
  CHECK(demangled_function_name("_ZN4eddy6detail3fooEi") == "eddy::detail::foo");
  CHECK(demangled_function_name("_ZN12_GLOBAL__N_14workEv") == "(anonymous namespace)::work");
  CHECK(demangled_function_name("_ZNK4eddy3bar3getEv") == "eddy::bar::get");
  CHECK(demangled_function_name("main") == "main");
  CHECK(demangled_function_name("") == "");
}

TEST_CASE("the symbolizer names a function of the executable and survives any address",
          "[sampler]") {
  eddy::detail::symbolizer s;
  const void* fn = reinterpret_cast<const void*>(&sampled_hot_loop);
  CHECK(s.name_of(fn).find("sampled_hot_loop") != std::string::npos);
  CHECK(&s.name_of(fn) == &s.name_of(fn));  // cached
  CHECK(s.name_of(nullptr) == "?");
  static const int data = 0;  // not code: named by its object at most
  CHECK_FALSE(s.name_of(&data).empty());
}

}  // namespace stack_sampler_test
