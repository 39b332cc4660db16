#pragma once
// Internal: the cluster secret's challenge-response and hashing (OpenSSL's libcrypto).
#include <string>
#include <string_view>

namespace eddy::detail {

/// Lower-case hex of SHA-256(bytes).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);
/// Lower-case hex of HMAC-SHA256(key, message).
[[nodiscard]] std::string hmac_hex(std::string_view key, std::string_view message);
/// 32 random bytes as hex (a challenge nonce).
[[nodiscard]] std::string random_nonce();
/// Compares in time independent of where the strings differ.
[[nodiscard]] bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace eddy::detail
