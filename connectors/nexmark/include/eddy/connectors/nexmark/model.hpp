#pragma once
/// The three Nexmark event types (nexmark-flink's model: Person, Auction, Bid) and an event that
/// holds one of them. Plain values: copyable, no invariants; produced by nexmark::generator
/// (generator.hpp). Timestamps are epoch milliseconds.
#include <cstdint>
#include <string>

#include "eddy/runtime/serializer.hpp"

namespace eddy::nexmark {

struct person {
  std::int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  std::int64_t date_time = 0;
  std::string extra;
  friend bool operator==(const person&, const person&) = default;
};

struct auction {
  std::int64_t id = 0;
  std::string item_name;
  std::string description;
  std::int64_t initial_bid = 0;
  std::int64_t reserve = 0;
  std::int64_t date_time = 0;
  std::int64_t expires = 0;
  std::int64_t seller = 0;
  std::int64_t category = 0;
  std::string extra;
  friend bool operator==(const auction&, const auction&) = default;
};

struct bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
  std::string url;
  std::int64_t date_time = 0;
  std::string extra;
  friend bool operator==(const bid&, const bid&) = default;
};

/// nexmark-flink's event type numbers (the `event_type` column of its DDL).
enum class event_type : std::int32_t { person = 0, auction = 1, bid = 2 };

/// One event: `type` says which of the three members is set (the others stay default).
struct event {
  event_type type = event_type::bid;
  person new_person;
  auction new_auction;
  bid new_bid;
  /// The event's time (its member's date_time).
  [[nodiscard]] std::int64_t date_time() const noexcept {
    switch (type) {
      case event_type::person:
        return new_person.date_time;
      case event_type::auction:
        return new_auction.date_time;
      case event_type::bid:
        break;
    }
    return new_bid.date_time;
  }
  friend bool operator==(const event&, const event&) = default;
};

// Checkpoints and the remote exchange serialize records field by field.
EDDY_FIELDS(person, id, name, email_address, credit_card, city, state, date_time, extra)
EDDY_FIELDS(auction, id, item_name, description, initial_bid, reserve, date_time, expires, seller,
            category, extra)
EDDY_FIELDS(bid, auction, bidder, price, channel, url, date_time, extra)
EDDY_FIELDS(event, type, new_person, new_auction, new_bid)

}  // namespace eddy::nexmark
