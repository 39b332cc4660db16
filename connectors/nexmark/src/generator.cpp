// nexmark-flink's generator (GeneratorConfig, NexmarkGenerator and generator/model/*) as pure
// functions of the event index; see generator.hpp. Comments name the Java method each part
// follows; the order of the random draws is Java's (left to right).
#include "eddy/connectors/nexmark/generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "eddy/connectors/nexmark/java_random.hpp"

namespace eddy::nexmark {

using detail::java_random;

namespace {

constexpr std::int64_t first_auction_id = 1000;
constexpr std::int64_t first_person_id = 1000;
constexpr std::int64_t first_category_id = 10;
constexpr std::int64_t first_event_id = 1;      // NexmarkTableSourceFactory
constexpr std::int64_t first_event_number = 1;  // NexmarkTableSourceFactory
constexpr int num_categories = 5;
constexpr int auction_id_lead = 10;
constexpr int person_id_lead = 10;
constexpr int hot_seller_ratio = 100;
constexpr int hot_auction_ratio = 100;
constexpr int hot_bidder_ratio = 100;
constexpr int hot_channels_ratio = 2;
constexpr int channels_number = 10'000;
constexpr int min_string_length = 3;
constexpr std::size_t reusable_extra_length = 1024 * 1024;

constexpr std::array<std::string_view, 4> hot_channels = {"Google", "Facebook", "Baidu", "Apple"};
constexpr std::array<std::string_view, 6> us_states = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<std::string_view, 10> us_cities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<std::string_view, 11> first_names = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<std::string_view, 9> last_names = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};

/// Java's String.trim(): drops characters <= ' ' at both ends.
std::string java_trim(std::string s) {
  std::size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

/// StringsGenerator.nextString(random, maxLength, special).
std::string next_string(java_random& r, int max_length, char special = ' ') {
  int len = min_string_length + r.next_int(max_length - min_string_length);
  std::string s;
  s.reserve(static_cast<std::size_t>(len));
  while (len-- > 0) {
    if (r.next_int(13) == 0)
      s.push_back(special);
    else
      s.push_back(static_cast<char>('a' + r.next_int(26)));
  }
  return java_trim(std::move(s));
}

/// StringsGenerator.nextExactString's loop (for lengths the reusable string cannot serve).
std::string exact_string_loop(java_random& r, std::size_t length) {
  std::string s;
  s.reserve(length);
  std::int32_t rnd = 0;
  int n = 0;  // random characters left in rnd
  while (length-- > 0) {
    if (n == 0) {
      rnd = r.next_int();
      n = 6;  // log_26(2^31)
    }
    s.push_back(static_cast<char>('a' + rnd % 26));  // Java's %: negative for negative rnd
    rnd /= 26;
    --n;
  }
  return s;
}

/// BidGenerator.getBaseUrl.
std::string base_url(java_random& r) {
  std::string u = "https://www.nexmark.com/";
  u += next_string(r, 5, '_');
  u += '/';
  u += next_string(r, 5, '_');
  u += '/';
  u += next_string(r, 5, '_');
  u += "/item.htm?query=1";
  return u;
}

/// Java's Math.abs(Integer.reverse(i)) (abs of MIN_VALUE stays MIN_VALUE).
std::int64_t abs_reversed(std::uint32_t i) {
  std::uint32_t v = 0;
  for (int b = 0; b < 32; ++b) v |= ((i >> b) & 1u) << (31 - b);
  const auto s = static_cast<std::int32_t>(v);
  return s == INT32_MIN ? static_cast<std::int64_t>(INT32_MIN)
                        : std::abs(static_cast<std::int64_t>(s));
}

std::uint64_t derived_seed(std::uint64_t seed, std::uint64_t salt) {
  return java_random::mix64(java_random::mix64(seed + java_random::golden_gamma) +
                            salt * java_random::golden_gamma);
}

std::int64_t java_round(double x) {
  return static_cast<std::int64_t>(std::floor(x + 0.5));
}

/// LongGenerator.nextLong.
std::int64_t next_long(java_random& r, std::int64_t n) {
  if (n < INT32_MAX) return r.next_int(static_cast<std::int32_t>(n));
  return std::llabs(r.next_long() % n);
}

/// PriceGenerator.nextPrice.
std::int64_t next_price(java_random& r) {
  return java_round(std::pow(10.0, r.next_double() * 6.0) * 100.0);
}

}  // namespace

/// The tables nexmark-flink builds once per JVM from unseeded generators: here per seed.
struct shared_tables {
  std::string reusable_extra;              // StringsGenerator.REUSABLE_EXTRA_STRING
  std::array<std::string, 4> hot_urls;     // BidGenerator.HOT_URLS
  std::vector<std::string> channel_names;  // BidGenerator.CHANNEL_URL_CACHE
  std::vector<std::string> channel_urls;

  explicit shared_tables(std::uint64_t seed) {
    java_random strings(derived_seed(seed, 1));
    reusable_extra = exact_string_loop(strings, reusable_extra_length);
    java_random bids(derived_seed(seed, 2));
    for (auto& u : hot_urls) u = base_url(bids);
    channel_names.reserve(channels_number);
    channel_urls.reserve(channels_number);
    for (int i = 0; i < channels_number; ++i) {
      std::string url = base_url(bids);
      if (bids.next_int(10) > 0)
        url += "&channel_id=" + std::to_string(abs_reversed(static_cast<std::uint32_t>(i)));
      channel_names.push_back("channel-" + std::to_string(i));
      channel_urls.push_back(std::move(url));
    }
  }

  /// StringsGenerator.nextExactString.
  std::string exact_string(java_random& r, std::size_t length) const {
    if (length < reusable_extra.size() / 2) {
      const auto offset = static_cast<std::size_t>(
          r.next_int(static_cast<std::int32_t>(reusable_extra.size() - length)));
      return reusable_extra.substr(offset, length);
    }
    return exact_string_loop(r, length);
  }

  /// StringsGenerator.nextExtra; `keep` false draws the same numbers but returns "".
  std::string extra(java_random& r, std::int64_t current_size, std::int64_t desired_average,
                    bool keep = true) const {
    if (current_size > desired_average) return {};
    desired_average -= current_size;
    const auto delta =
        static_cast<std::int32_t>(java_round(static_cast<double>(desired_average) * 0.2));
    const auto min_size = static_cast<std::int32_t>(desired_average) - delta;
    const std::int32_t size = min_size + (delta == 0 ? 0 : r.next_int(2 * delta));
    if (!keep) {
      if (static_cast<std::size_t>(size) < reusable_extra.size() / 2)
        (void)r.next_int(
            static_cast<std::int32_t>(reusable_extra.size() - static_cast<std::size_t>(size)));
      else
        (void)exact_string_loop(r, static_cast<std::size_t>(size));
      return {};
    }
    return exact_string(r, static_cast<std::size_t>(std::max(size, 0)));
  }
};

namespace {

std::shared_ptr<const shared_tables> tables_for(std::uint64_t seed) {
  static std::mutex mu;
  static std::map<std::uint64_t, std::weak_ptr<const shared_tables>> cache;
  std::lock_guard lock(mu);
  auto& slot = cache[seed];
  if (auto t = slot.lock()) return t;
  auto t = std::make_shared<const shared_tables>(seed);
  slot = t;
  return t;
}

}  // namespace

std::uint64_t config::total_events() const noexcept {
  if (stop_at >= 0 && (events == 0 || static_cast<std::uint64_t>(stop_at) < events))
    return static_cast<std::uint64_t>(stop_at);
  return events;
}

generator::generator(const config& c)
    : c_(c),
      total_proportion_(c.person_proportion + c.auction_proportion + c.bid_proportion),
      inter_event_delay_us_(1'000'000.0 / c.first_event_rate),
      tables_(tables_for(c.seed)) {}

std::int64_t generator::timestamp_for_number(std::int64_t event_number) const noexcept {
  // GeneratorConfig.timestampForEvent: baseTime + (long)(eventNumber * delayUs) / 1000.
  return c_.base_time +
         static_cast<std::int64_t>(static_cast<double>(event_number) * inter_event_delay_us_) /
             1000;
}

std::int64_t generator::adjusted_number(std::uint64_t g) const noexcept {
  // GeneratorConfig.nextAdjustedEventNumber.
  const std::int64_t n = c_.out_of_order_group_size;
  const auto number = first_event_number + static_cast<std::int64_t>(g);
  return (number / n) * n + (number * 953) % n;
}

std::int64_t generator::event_id(std::uint64_t g) const noexcept {
  return first_event_id + adjusted_number(g);
}

event_type generator::type_of(std::uint64_t g) const noexcept {
  const std::int64_t rem = event_id(g) % total_proportion_;
  if (rem < c_.person_proportion) return event_type::person;
  if (rem < c_.person_proportion + c_.auction_proportion) return event_type::auction;
  return event_type::bid;
}

std::int64_t generator::timestamp_of(std::uint64_t g) const noexcept {
  return timestamp_for_number(adjusted_number(g));
}

std::int64_t generator::watermark_at(std::uint64_t g) const noexcept {
  const std::int64_t n = c_.out_of_order_group_size;
  return timestamp_for_number(((first_event_number + static_cast<std::int64_t>(g)) / n) * n);
}

std::int64_t generator::emit_offset_ms(std::uint64_t g) const noexcept {
  return timestamp_for_number(first_event_number + static_cast<std::int64_t>(g)) - c_.base_time;
}

namespace {

/// PersonGenerator.lastBase0PersonId.
std::int64_t last_base0_person_id(const config& c, std::int64_t total, std::int64_t event_id) {
  const std::int64_t epoch = event_id / total;
  std::int64_t offset = event_id % total;
  if (offset >= c.person_proportion) offset = c.person_proportion - 1;
  return epoch * c.person_proportion + offset;
}

/// AuctionGenerator.lastBase0AuctionId.
std::int64_t last_base0_auction_id(const config& c, std::int64_t total, std::int64_t event_id) {
  std::int64_t epoch = event_id / total;
  std::int64_t offset = event_id % total;
  if (offset < c.person_proportion) {
    --epoch;
    offset = c.auction_proportion - 1;
  } else if (offset >= c.person_proportion + c.auction_proportion) {
    offset = c.auction_proportion - 1;
  } else {
    offset -= c.person_proportion;
  }
  return epoch * c.auction_proportion + offset;
}

/// PersonGenerator.nextBase0PersonId.
std::int64_t next_base0_person_id(const config& c, std::int64_t total, std::int64_t event_id,
                                  java_random& r) {
  const std::int64_t num_people = last_base0_person_id(c, total, event_id) + 1;
  const std::int64_t active = std::min<std::int64_t>(num_people, c.num_active_people);
  const std::int64_t n = next_long(r, active + person_id_lead);
  return num_people - active + n;
}

/// AuctionGenerator.nextBase0AuctionId.
std::int64_t next_base0_auction_id(const config& c, std::int64_t total, std::int64_t event_id,
                                   java_random& r) {
  const std::int64_t last = last_base0_auction_id(c, total, event_id);
  const std::int64_t min_auction = std::max<std::int64_t>(last - c.num_in_flight_auctions, 0);
  return min_auction + next_long(r, last - min_auction + 1 + auction_id_lead);
}

java_random event_random(std::uint64_t seed, std::int64_t event_id) {
  return java_random(derived_seed(seed, static_cast<std::uint64_t>(event_id) + 16));
}

}  // namespace

void generator::make_person(std::uint64_t g, person& out) const {
  const std::int64_t id = event_id(g);
  java_random r = event_random(c_.seed, id);
  out.id = last_base0_person_id(c_, total_proportion_, id) + first_person_id;
  {
    std::string name(first_names[static_cast<std::size_t>(r.next_int(first_names.size()))]);
    name += ' ';
    name += last_names[static_cast<std::size_t>(r.next_int(last_names.size()))];
    out.name = std::move(name);
  }
  {
    std::string email = next_string(r, 7);
    email += '@';
    email += next_string(r, 5);
    email += ".com";
    out.email_address = std::move(email);
  }
  {
    std::string card;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) card += ' ';
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04d", r.next_int(10'000));
      card += buf;
    }
    out.credit_card = std::move(card);
  }
  out.city = us_cities[static_cast<std::size_t>(r.next_int(us_cities.size()))];
  out.state = us_states[static_cast<std::size_t>(r.next_int(us_states.size()))];
  out.date_time = timestamp_of(g);
  const auto size =
      static_cast<std::int64_t>(8 + out.name.size() + out.email_address.size() +
                                out.credit_card.size() + out.city.size() + out.state.size());
  out.extra = tables_->extra(r, size, c_.avg_person_bytes);
}

void generator::make_auction(std::uint64_t g, auction& out) const {
  const std::int64_t id = event_id(g);
  java_random r = event_random(c_.seed, id);
  const std::int64_t timestamp = timestamp_of(g);
  out.id = last_base0_auction_id(c_, total_proportion_, id) + first_auction_id;
  std::int64_t seller = 0;
  if (r.next_int(c_.hot_sellers_ratio) > 0)
    seller =
        (last_base0_person_id(c_, total_proportion_, id) / hot_seller_ratio) * hot_seller_ratio;
  else
    seller = next_base0_person_id(c_, total_proportion_, id, r);
  out.seller = seller + first_person_id;
  out.category = first_category_id + r.next_int(num_categories);
  out.initial_bid = next_price(r);
  {
    // AuctionGenerator.nextAuctionLengthMs (eventsCountSoFar is g: one generator).
    const std::int64_t current = adjusted_number(g);
    const std::int64_t events_for_auctions =
        (static_cast<std::int64_t>(c_.num_in_flight_auctions) * total_proportion_) /
        c_.auction_proportion;
    const std::int64_t future = timestamp_for_number(current + events_for_auctions);
    const std::int64_t horizon = future - timestamp;
    out.expires = timestamp + 1 + next_long(r, std::max<std::int64_t>(horizon * 2, 1));
  }
  out.item_name = next_string(r, 20);
  out.description = next_string(r, 100);
  out.reserve = out.initial_bid + next_price(r);
  out.date_time = timestamp;
  const auto size =
      static_cast<std::int64_t>(8 + out.item_name.size() + out.description.size() + 8 * 5);
  out.extra = tables_->extra(r, size, c_.avg_auction_bytes);
}

void generator::make_bid(std::uint64_t g, bid& out, bool with_extra) const {
  const std::int64_t id = event_id(g);
  java_random r = event_random(c_.seed, id);
  std::int64_t auction_id = 0;
  if (r.next_int(c_.hot_auction_ratio) > 0)
    auction_id =
        (last_base0_auction_id(c_, total_proportion_, id) / hot_auction_ratio) * hot_auction_ratio;
  else
    auction_id = next_base0_auction_id(c_, total_proportion_, id, r);
  out.auction = auction_id + first_auction_id;
  std::int64_t bidder = 0;
  if (r.next_int(c_.hot_bidders_ratio) > 0)
    bidder =
        (last_base0_person_id(c_, total_proportion_, id) / hot_bidder_ratio) * hot_bidder_ratio + 1;
  else
    bidder = next_base0_person_id(c_, total_proportion_, id, r);
  // nexmark-flink's BidGenerator adds FIRST_PERSON_ID twice (bidders start at 2000): kept, so
  // that the data are the benchmark's.
  out.bidder = bidder + 2 * first_person_id;
  out.price = next_price(r);
  if (r.next_int(hot_channels_ratio) > 0) {
    const auto i = static_cast<std::size_t>(r.next_int(hot_channels.size()));
    out.channel = hot_channels[i];
    out.url = tables_->hot_urls[i];
  } else {
    const auto i = static_cast<std::size_t>(r.next_int(channels_number));
    out.channel = tables_->channel_names[i];
    out.url = tables_->channel_urls[i];
  }
  out.date_time = timestamp_of(g);
  out.extra = tables_->extra(r, 32, c_.avg_bid_bytes, with_extra);
}

event generator::make(std::uint64_t g) const {
  event e;
  e.type = type_of(g);
  switch (e.type) {
    case event_type::person:
      make_person(g, e.new_person);
      break;
    case event_type::auction:
      make_auction(g, e.new_auction);
      break;
    case event_type::bid:
      make_bid(g, e.new_bid);
      break;
  }
  return e;
}

}  // namespace eddy::nexmark
