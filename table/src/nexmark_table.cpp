// The 'nexmark' SQL table (see nexmark_table.hpp): the generator's events of one type as row
// batches of the declared columns.
#include "eddy/table/nexmark_table.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "eddy/connectors/nexmark/source.hpp"

namespace eddy::table {

namespace {

using rows::type_id;

enum class field_kind { integer, text, time };

struct field_def {
  std::string_view name;
  field_kind kind;
};

// The fields of nexmark-flink's person / auction / bid views, in its order.
constexpr std::array<field_def, 8> person_fields = {{{"id", field_kind::integer},
                                                     {"name", field_kind::text},
                                                     {"emailAddress", field_kind::text},
                                                     {"creditCard", field_kind::text},
                                                     {"city", field_kind::text},
                                                     {"state", field_kind::text},
                                                     {"dateTime", field_kind::time},
                                                     {"extra", field_kind::text}}};
constexpr std::array<field_def, 10> auction_fields = {{{"id", field_kind::integer},
                                                       {"itemName", field_kind::text},
                                                       {"description", field_kind::text},
                                                       {"initialBid", field_kind::integer},
                                                       {"reserve", field_kind::integer},
                                                       {"dateTime", field_kind::time},
                                                       {"expires", field_kind::time},
                                                       {"seller", field_kind::integer},
                                                       {"category", field_kind::integer},
                                                       {"extra", field_kind::text}}};
constexpr std::array<field_def, 7> bid_fields = {{{"auction", field_kind::integer},
                                                  {"bidder", field_kind::integer},
                                                  {"price", field_kind::integer},
                                                  {"channel", field_kind::text},
                                                  {"url", field_kind::text},
                                                  {"dateTime", field_kind::time},
                                                  {"extra", field_kind::text}}};

template <std::size_t N>
std::string field_list(const std::array<field_def, N>& fields) {
  std::string s;
  for (const auto& f : fields) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

const char* kind_text(field_kind k) {
  switch (k) {
    case field_kind::integer:
      return "BIGINT";
    case field_kind::text:
      return "VARCHAR or STRING";
    case field_kind::time:
      break;
  }
  return "TIMESTAMP(3) or TIMESTAMP_LTZ(3)";
}

bool type_fits(const rows::logical_type& t, field_kind k) {
  switch (k) {
    case field_kind::integer:
      return t.id == type_id::bigint;
    case field_kind::text:
      return t.id == type_id::varchar;
    case field_kind::time:
      break;
  }
  return t.is_timestamp() && t.precision == 3;
}

template <std::size_t N>
std::string map_columns(const std::string& table, const rows::schema& physical,
                        const std::array<field_def, N>& fields, const char* type_name,
                        std::vector<int>& out) {
  out.clear();
  for (std::size_t c = 0; c < physical.size(); ++c) {
    const auto& col = physical[c];
    int found = -1;
    for (std::size_t f = 0; f < N; ++f)
      if (fields[f].name == col.name) found = static_cast<int>(f);
    if (found < 0)
      return "Table '" + table + "': the column '" + col.name + "' is not a field of a Nexmark " +
             type_name + " (connector 'nexmark', 'event.type' = '" + type_name +
             "': " + field_list(fields) + ")";
    const auto& f = fields[static_cast<std::size_t>(found)];
    if (!type_fits(col.type, f.kind))
      return "Table '" + table + "': the column '" + col.name + "' is " + col.type.to_string() +
             " but the Nexmark field is " + kind_text(f.kind);
    out.push_back(found);
  }
  return {};
}

// Values of one record's field, by the field's number in its type.
std::int64_t integer_field(const nexmark::person& p, int f) {
  return f == 0 ? p.id : p.date_time;
}
std::int64_t integer_field(const nexmark::auction& a, int f) {
  switch (f) {
    case 0:
      return a.id;
    case 3:
      return a.initial_bid;
    case 4:
      return a.reserve;
    case 5:
      return a.date_time;
    case 6:
      return a.expires;
    case 7:
      return a.seller;
    default:
      return a.category;
  }
}
std::int64_t integer_field(const nexmark::bid& b, int f) {
  switch (f) {
    case 0:
      return b.auction;
    case 1:
      return b.bidder;
    case 2:
      return b.price;
    default:
      return b.date_time;
  }
}
std::string& text_field(nexmark::person& p, int f) {
  switch (f) {
    case 1:
      return p.name;
    case 2:
      return p.email_address;
    case 3:
      return p.credit_card;
    case 4:
      return p.city;
    case 5:
      return p.state;
    default:
      return p.extra;
  }
}
std::string& text_field(nexmark::auction& a, int f) {
  return f == 1 ? a.item_name : f == 2 ? a.description : a.extra;
}
std::string& text_field(nexmark::bid& b, int f) {
  return f == 3 ? b.channel : f == 4 ? b.url : b.extra;
}

class nexmark_reader final : public source_op<rows::row_batch> {
 public:
  nexmark_reader(nexmark_table_config c, expr_list computed, input_op<rows::row_batch>* next)
      : source_op<rows::row_batch>(next),
        c_(std::move(c)),
        computed_(std::move(computed)),
        gen_(c_.generator) {
    // A bid's extra is the only string the generator can skip building (same draws).
    for (int f : c_.fields) bid_extra_ = bid_extra_ || f == 6;
  }

  void open(const subtask_info& info) override {
    source_op<rows::row_batch>::open(info);
    cursor_.open(gen_, info);
  }

  source_status produce(std::size_t max_records) override {
    std::uint64_t base = 0, step = 1;
    std::size_t n = 0;
    bool later = false;
    if (!cursor_.take(std::max<std::size_t>(1, std::min(max_records, info_.batch_size)), base, step,
                      n, later))
      return cursor_.when_empty(later);
    guarded([&] {
      switch (c_.type) {
        case nexmark::event_type::person:
          emit(people_, base, step, n);
          break;
        case nexmark::event_type::auction:
          emit(auctions_, base, step, n);
          break;
        case nexmark::event_type::bid:
          emit(bids_, base, step, n);
          break;
      }
    });
    return cursor_.after_emit();
  }

  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    cursor_.snapshot(info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    cursor_.restore(info_, entries);
  }

 private:
  void make(std::uint64_t i, nexmark::person& p) const { gen_.make_person(i, p); }
  void make(std::uint64_t i, nexmark::auction& a) const { gen_.make_auction(i, a); }
  void make(std::uint64_t i, nexmark::bid& b) const { gen_.make_bid(i, b, bid_extra_); }

  template <class R>
  void emit(std::vector<R>& records, std::uint64_t base, std::uint64_t step, std::size_t n) {
    std::size_t used = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint64_t i = base + k * step;
      if (gen_.type_of(i) != c_.type) continue;
      if (used == records.size()) records.emplace_back();
      make(i, records[used++]);
    }
    if (used == 0) return;
    rows::row_batch b(c_.physical);
    for (std::size_t col = 0; col < c_.fields.size(); ++col) {
      auto& out = b.column(col);
      out.resize(used);
      const int f = c_.fields[col];
      if (c_.physical[col].type.id == type_id::varchar) {
        auto* d = out.data<std::string>().data();
        for (std::size_t k = 0; k < used; ++k) d[k] = std::move(text_field(records[k], f));
      } else {
        auto* d = out.data<std::int64_t>().data();
        for (std::size_t k = 0; k < used; ++k) d[k] = integer_field(records[k], f);
      }
    }
    if (!computed_.empty()) {
      sql::eval_context ctx;
      ctx.now_ms = current_processing_time();
      for (const auto& e : computed_) {
        rows::column_vector v(e->type());
        e->eval(b, v, ctx);
        b.columns().push_back(std::move(v));
      }
    }
    counters_.records_out += used;
    buffer_.clear();
    buffer_.push_back(std::move(b));
    next_->process(buffer_);
    buffer_.clear();
  }

  nexmark_table_config c_;
  expr_list computed_;
  nexmark::generator gen_;
  nexmark::index_cursor cursor_;
  bool bid_extra_ = false;
  std::vector<nexmark::person> people_;  // scratch records, reused across batches
  std::vector<nexmark::auction> auctions_;
  std::vector<nexmark::bid> bids_;
};

}  // namespace

std::string parse_nexmark_table(const std::string& table, const rows::schema& physical,
                                const std::map<std::string, std::string>& options,
                                nexmark_table_config& out) {
  out = nexmark_table_config{};
  out.table = table;
  out.physical = physical;
  if (auto e = nexmark::parse_options(options, out.generator, {"connector", "event.type"});
      !e.empty())
    return "Table '" + table + "': " + e;
  const auto it = options.find("event.type");
  if (it == options.end())
    return "Table '" + table +
           "' needs the option 'event.type' (connector 'nexmark'): 'person', 'auction' or 'bid' "
           "(a table holds the events of one type)";
  if (it->second == "person") {
    out.type = nexmark::event_type::person;
    return map_columns(table, physical, person_fields, "person", out.fields);
  }
  if (it->second == "auction") {
    out.type = nexmark::event_type::auction;
    return map_columns(table, physical, auction_fields, "auction", out.fields);
  }
  if (it->second == "bid") {
    out.type = nexmark::event_type::bid;
    return map_columns(table, physical, bid_fields, "bid", out.fields);
  }
  return "Invalid value '" + it->second + "' of option 'event.type' for table '" + table +
         "': expected 'person', 'auction' or 'bid'";
}

Source<rows::row_batch> nexmark_rows_source(nexmark_table_config config, expr_list computed) {
  const bool bounded = config.generator.total_events() != 0 && !config.generator.keep_alive;
  return Source<rows::row_batch>{
      "nexmark", bounded,
      [config = std::move(config), computed = std::move(computed)](
          input_op<rows::row_batch>* next) -> std::unique_ptr<source_base> {
        return std::make_unique<nexmark_reader>(config, computed, next);
      },
      nullptr};
}

}  // namespace eddy::table
