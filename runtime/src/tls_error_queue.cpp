// Empties the OpenSSL error queue before each TLS I/O call of CAF's TLS transport (see
// tls_error_queue.hpp for why and how).
#include "tls_error_queue.hpp"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>

namespace {

/// OpenSSL's own definition of `name` (the next one after ours in the lookup order).
template <class F>
F next_definition(const char* name) {
  auto* f = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
  if (!f) {
    // Cannot happen when libssl is loaded (it is: these are only called through it); a
    // missing symbol would otherwise be a null call.
    std::fprintf(stderr, "eddy: cannot find OpenSSL's %s: %s\n", name, dlerror());
    std::abort();
  }
  return f;
}

}  // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  using fn = int (*)(SSL*, void*, int);
  static const fn real = next_definition<fn>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  using fn = int (*)(SSL*, const void*, int);
  static const fn real = next_definition<fn>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_connect(SSL* ssl) {
  using fn = int (*)(SSL*);
  static const fn real = next_definition<fn>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

int SSL_accept(SSL* ssl) {
  using fn = int (*)(SSL*);
  static const fn real = next_definition<fn>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

}  // extern "C"

namespace eddy::detail {

bool tls_error_queue_fix_active() {
  return dlsym(RTLD_DEFAULT, "SSL_read") == reinterpret_cast<void*>(&SSL_read) &&
         dlsym(RTLD_DEFAULT, "SSL_write") == reinterpret_cast<void*>(&SSL_write);
}

}  // namespace eddy::detail
