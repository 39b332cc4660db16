#pragma once
/// Encoding of whole batches for the network exchange between nodes of a cluster.
///
/// Who calls: the typed API (operators/datastream.hpp) attaches one codec to every graph edge,
/// typed on the records the edge carries; a subtask actor uses it only for channels whose other
/// end lives in another process (local channels pass batches by pointer, never encoded).
/// The wire message is a Cap'n Proto `Batch` (runtime/schema/batch.capnp) whose `records` field
/// holds the records in Eddy's serializer format (serializer.hpp) and whose `timestamps` field
/// holds the event-time timestamps.
///
/// Errors: a record type without a Serializer cannot cross nodes; its codec throws
/// std::runtime_error naming the type when used (a job whose records stay in one process never
/// needs one). `decode` never throws on bad input: it returns an error naming the problem.
/// Thread-safety: codecs are stateless and shared by all subtasks of a job.
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "eddy/runtime/batch.hpp"
#include "eddy/runtime/error.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy {

/// Wraps encoded records and their timestamps into one wire message (a Cap'n Proto `Batch`).
[[nodiscard]] std::string encode_wire_batch(std::uint32_t count, std::string_view records,
                                            std::span<const std::int64_t> timestamps);

/// The parts of a wire message. `records` views into the message (or into `keep`, an aligned
/// copy made when the message was not 8-byte aligned): use it while both are alive.
struct wire_batch_view {
  std::uint32_t count = 0;
  std::string_view records;
  std::vector<std::int64_t> timestamps;
  std::shared_ptr<void> keep;
};
/// Unwraps a wire message; errors name what is wrong (truncated, bad framing, counts).
[[nodiscard]] expected<wire_batch_view> decode_wire_batch(std::string_view message);

/// The readable (demangled) name of a type, for error messages.
[[nodiscard]] std::string type_name_of(const std::type_info& t);

class batch_codec {
 public:
  virtual ~batch_codec() = default;
  /// Whether the record type can be encoded (has a Serializer).
  [[nodiscard]] virtual bool supported() const noexcept = 0;
  /// The record type's name, for error messages.
  [[nodiscard]] virtual std::string record_type() const = 0;
  /// The wire message for `b` (which must be a batch of this codec's record type).
  [[nodiscard]] virtual std::string encode(const batch_base& b) const = 0;
  /// The batch a wire message holds.
  [[nodiscard]] virtual expected<batch_ptr> decode(std::string_view message) const = 0;
};

template <class T>
class typed_batch_codec final : public batch_codec {
 public:
  [[nodiscard]] bool supported() const noexcept override { return has_serializer_v<T>; }
  [[nodiscard]] std::string record_type() const override { return type_name_of(typeid(T)); }
  [[nodiscard]] std::string encode(const batch_base& b) const override {
    const auto& typed = static_cast<const batch<T>&>(b);
    if constexpr (has_serializer_v<T>) {
      thread_local std::string records;  // reused: no allocation per batch
      records.clear();
      byte_writer w(records);
      if (detail::array_is_memcpy<T>())
        w.write_bytes(typed.records.data(), typed.records.size() * sizeof(T));
      else
        for (const auto& r : typed.records) Serializer<T>::write(w, r);
      return encode_wire_batch(static_cast<std::uint32_t>(typed.records.size()), records,
                               typed.timestamps);
    } else {
      throw std::runtime_error("records of type " + record_type() +
                               " cannot travel to another node: define eddy::Serializer for it "
                               "(EDDY_FIELDS)");
    }
  }

  [[nodiscard]] expected<batch_ptr> decode(std::string_view message) const override {
    if constexpr (has_serializer_v<T>) {
      auto v = decode_wire_batch(message);
      if (!v) return v.error();
      // No allocation the message cannot back: each record takes at least min_size bytes (records
      // without bytes are limited as the serializer limits zero-size elements).
      constexpr std::uint64_t min_record = detail::min_size_of<T>();
      const std::uint64_t max_count = min_record != 0
                                          ? v->records.size() / min_record
                                          : v->records.size() + detail::max_zero_size_elements;
      if (v->count > max_count)
        return error{errc::corrupt_data, "a remote batch claims " + std::to_string(v->count) +
                                             " records in " + std::to_string(v->records.size()) +
                                             " bytes"};
      auto out = std::make_shared<batch<T>>();
      if (detail::array_is_memcpy<T>()) {
        if (v->records.size() != static_cast<std::size_t>(v->count) * sizeof(T))
          return error{errc::corrupt_data, "a remote batch of " + std::to_string(v->count) +
                                               " records of " + std::to_string(sizeof(T)) +
                                               " bytes has " + std::to_string(v->records.size()) +
                                               " bytes"};
        out->records.resize(v->count);
        // array_is_memcpy<T>() holds only for trivially copyable T; the test keeps the memcpy
        // out of the other types' instantiations (-Wclass-memaccess).
        if constexpr (std::is_trivially_copyable_v<T>)
          if (v->count != 0) std::memcpy(out->records.data(), v->records.data(), v->records.size());
      } else {
        out->records.resize(v->count);
        byte_reader r(v->records);
        for (auto& rec : out->records)
          if (!Serializer<T>::read(r, rec) || r.failed())
            return error{errc::corrupt_data, "malformed record in a batch from another node: " +
                                                 (r.failed() ? r.error() : std::string("?"))};
        if (!r.at_end())
          return error{errc::corrupt_data, "trailing bytes after the records of a remote batch"};
      }
      if (!v->timestamps.empty() && v->timestamps.size() != v->count)
        return error{errc::corrupt_data,
                     "a remote batch has " + std::to_string(v->timestamps.size()) +
                         " timestamps for " + std::to_string(v->count) + " records"};
      out->timestamps = std::move(v->timestamps);
      return batch_ptr{std::move(out)};
    } else {
      return error{errc::invalid_argument, "records of type " + record_type() +
                                               " cannot travel between nodes (no Serializer)"};
    }
  }
};

template <class T>
std::shared_ptr<const batch_codec> make_batch_codec() {
  static const auto codec = std::make_shared<const typed_batch_codec<T>>();
  return codec;
}

}  // namespace eddy
