#pragma once
/// A fix for CAF 0.17.6's TLS transport (libcaf_openssl), which calls SSL_read, SSL_write,
/// SSL_connect and SSL_accept without first emptying the thread's OpenSSL error queue, as
/// OpenSSL requires ("the current thread's error queue must be empty before the TLS/SSL I/O
/// operation is attempted, or SSL_get_error() will not work reliably", SSL_get_error(3)).
///
/// What went wrong without it (measured with OpenSSL 3.0 on Debian 12): CAF never sends TLS's
/// close_notify, so every connection that ends (an `eddy run --cluster` client exiting after
/// its job) leaves "unexpected eof while reading" on the error queue of the middleman's
/// multiplexer thread. The next SSL_read on that thread that only has to wait for data (EAGAIN)
/// then reads as SSL_ERROR_SSL, and CAF closes that healthy connection: every worker lost the
/// coordinator moments after a client disconnected, and the next job failed with
/// remote_link_unreachable or waited for slots until --slot-timeout.
///
/// tls_error_queue.cpp defines those four functions in Eddy's binaries; the dynamic linker then
/// resolves libcaf_openssl's calls to them (symbol interposition), and each empties the queue
/// and calls OpenSSL's own function (found with dlsym(RTLD_NEXT)). Other callers (librdkafka)
/// get the same, harmless, treatment.
namespace eddy::detail {

/// Whether the fix is in effect in this process: OpenSSL's entry points resolve to Eddy's
/// definitions. cluster.cpp checks it when it loads TLS and warns if not (e.g. a binary
/// linked so that the symbols are not exported). Thread-safe.
[[nodiscard]] bool tls_error_queue_fix_active();

}  // namespace eddy::detail
