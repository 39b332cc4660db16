#include "symbolizer.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace eddy::detail {

/// The function symbols of one object file, by address (relative to the object's load address
/// for a shared object or a position-independent executable, absolute otherwise).
struct symbolizer::symbol_table {
  struct entry {
    std::uint64_t start = 0;
    std::uint64_t size = 0;
    std::string name;  // mangled
  };
  std::vector<entry> entries;  // by start
  bool relative = true;        // ET_DYN: addresses are relative to the load address

  const entry* find(std::uint64_t address) const {
    auto it = std::upper_bound(entries.begin(), entries.end(), address,
                               [](std::uint64_t a, const entry& e) { return a < e.start; });
    if (it == entries.begin()) return nullptr;
    --it;
    return address < it->start + std::max<std::uint64_t>(it->size, 1) ? &*it : nullptr;
  }
};

namespace {

/// A file mapped read-only (empty if it cannot be): only the pages read are loaded, so the
/// debug sections of a large binary cost nothing.
class mapped_file {
 public:
  explicit mapped_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p =
          ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~mapped_file() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  [[nodiscard]] std::string_view view() const { return {data_ ? data_ : "", size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Where the main program is mapped (what dladdr gives as its dli_fbase): dladdr names it by
/// argv[0], which may be relative to another directory, so it is read as /proc/self/exe.
const void* main_program_base() {
  static const void* base = [] {
    const void* b = nullptr;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* out) {
          std::uint64_t lowest = UINT64_MAX;
          for (int i = 0; i < info->dlpi_phnum; ++i)
            if (info->dlpi_phdr[i].p_type == PT_LOAD)
              lowest = std::min<std::uint64_t>(lowest, info->dlpi_phdr[i].p_vaddr);
          if (lowest != UINT64_MAX)
            *static_cast<const void**>(out) =
                reinterpret_cast<const void*>(info->dlpi_addr + lowest);
          return 1;  // the first object is the main program
        },
        &b);
    return b;
  }();
  return base;
}

/// `T` at `offset` of `data`, if it fits.
template <class T>
bool read_at(std::string_view data, std::uint64_t offset, T& out) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, data.data() + offset, sizeof(T));
  return true;
}

}  // namespace

std::string demangled_function_name(const char* mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || !d) return mangled;
  std::string name(d);
  std::free(d);
  // Drop the parameter list (and any cv-qualifiers after it): the last ')' closes it; its '('
  // is found by matching parentheses backwards.
  if (!name.empty()) {
    auto close = name.rfind(')');
    if (close != std::string::npos) {
      int depth = 0;
      for (std::size_t i = close + 1; i-- > 0;) {
        if (name[i] == ')') ++depth;
        if (name[i] == '(' && --depth == 0) {
          // Not for names that are only parenthesised, like "(anonymous namespace)".
          if (i > 0) name.erase(i);
          break;
        }
      }
    }
  }
  return name;
}

symbolizer::symbolizer() = default;
symbolizer::~symbolizer() = default;

const symbolizer::symbol_table& symbolizer::table_of(const std::string& file) {
  auto& slot = tables_[file];
  if (slot) return *slot;
  slot = std::make_unique<symbol_table>();
  auto& t = *slot;
  const mapped_file mapped(file);
  const std::string_view data = mapped.view();
  Elf64_Ehdr eh{};
  if (!read_at(data, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr))
    return t;
  t.relative = eh.e_type == ET_DYN;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh{};
    if (!read_at(data, eh.e_shoff + std::uint64_t{i} * sizeof(Elf64_Shdr), sh)) break;
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    Elf64_Shdr strings{};
    if (!read_at(data, eh.e_shoff + std::uint64_t{sh.sh_link} * sizeof(Elf64_Shdr), strings))
      continue;
    for (std::uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym{};
      if (!read_at(data, sh.sh_offset + off, sym)) break;
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
      if (sym.st_name >= strings.sh_size || strings.sh_offset + sym.st_name >= data.size())
        continue;
      const char* name = data.data() + strings.sh_offset + sym.st_name;
      const auto max = data.size() - (strings.sh_offset + sym.st_name);
      t.entries.push_back({sym.st_value, sym.st_size, std::string(name, strnlen(name, max))});
    }
  }
  std::sort(t.entries.begin(), t.entries.end(),
            [](const auto& a, const auto& b) { return a.start < b.start; });
  return t;
}

const std::string& symbolizer::name_of(const void* address) {
  if (auto it = names_.find(address); it != names_.end()) return it->second;
  std::string name = "?";
  Dl_info info{};
  if (dladdr(address, &info) != 0) {
    const auto at = reinterpret_cast<std::uint64_t>(address);
    const bool main = info.dli_fbase == main_program_base();
    const auto& t = table_of(main ? "/proc/self/exe" : info.dli_fname ? info.dli_fname : "");
    const auto* e = t.find(t.relative ? at - reinterpret_cast<std::uint64_t>(info.dli_fbase) : at);
    if (e)
      name = demangled_function_name(e->name.c_str());
    else if (info.dli_sname)
      name = demangled_function_name(info.dli_sname);
    else if (info.dli_fname) {
      const char* base = std::strrchr(info.dli_fname, '/');
      name = std::string("? (") + (base ? base + 1 : info.dli_fname) + ")";
    }
  }
  return names_.emplace(address, std::move(name)).first->second;
}

}  // namespace eddy::detail
