#pragma once
// A small HTTP client for the REST tests (cpp-httplib's client; test code only).
#include <httplib.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace eddy::testing {

struct http_reply {
  int status = 0;  ///< 0: no connection
  std::string body;
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  /// The first message of an {"errors": [...]} answer ("" if none).
  [[nodiscard]] std::string error() const {
    const auto j = json();
    return j.is_object() && j.contains("errors") && !j["errors"].empty()
               ? j["errors"][0].get<std::string>()
               : std::string();
  }
};

class http_client {
 public:
  explicit http_client(std::uint16_t port, std::string token = {})
      : cli_("127.0.0.1", port), token_(std::move(token)) {
    cli_.set_read_timeout(120, 0);  // a savepoint answers when it completed
  }
  http_reply get(const std::string& path) { return reply(cli_.Get(path.c_str(), headers())); }
  http_reply post(const std::string& path, const std::string& body) {
    return reply(cli_.Post(path.c_str(), headers(), body, "application/json"));
  }
  http_reply patch(const std::string& path, const std::string& body = "") {
    return reply(cli_.Patch(path.c_str(), headers(), body, "application/json"));
  }
  http_reply del(const std::string& path) { return reply(cli_.Delete(path.c_str(), headers())); }
  void set_token(std::string t) { token_ = std::move(t); }

 private:
  httplib::Headers headers() const {
    httplib::Headers h;
    if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
    return h;
  }
  static http_reply reply(const httplib::Result& r) {
    if (!r) return {};
    return {r->status, r->body};
  }
  httplib::Client cli_;
  std::string token_;
};

}  // namespace eddy::testing
