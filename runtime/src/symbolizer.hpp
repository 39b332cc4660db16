#pragma once
// Internal: names code addresses of this process (for flame graphs, stack_sampler.hpp).
//
// An address is looked up in the dynamic symbols of its object (dladdr) and, failing that, in
// the object file's own symbol table (.symtab, read once per object from the file dladdr names:
// local and static functions, which the dynamic table lacks, unless the file was stripped).
// Names are demangled (abi::__cxa_demangle). Files are mapped, not read. Not thread-safe: one
// symbolizer per caller, or a lock around it. May block on file reads; allocates. Addresses
// and tables are cached for the symbolizer's life (a library unloaded meanwhile keeps its
// names: job libraries are never unloaded).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace eddy::detail {

class symbolizer {
 public:
  symbolizer();
  ~symbolizer();
  symbolizer(const symbolizer&) = delete;
  symbolizer& operator=(const symbolizer&) = delete;

  /// The demangled name of the function containing `address`, without its parameter list; "?
  /// (OBJECT)" if no symbol covers it, "?" if no loaded object does.
  const std::string& name_of(const void* address);

 private:
  struct symbol_table;
  const symbol_table& table_of(const std::string& file);

  std::unordered_map<const void*, std::string> names_;
  std::map<std::string, std::unique_ptr<symbol_table>> tables_;
};

/// `mangled` demangled, without the parameter list of a function; `mangled` itself if it is not
/// a C++ name.
[[nodiscard]] std::string demangled_function_name(const char* mangled);

}  // namespace eddy::detail
