/* Structured logging to stderr in logfmt or JSON (promslog's flags). */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/*
 * Select the level ("debug", "info", "warn", "error") and the format
 * ("logfmt", "json"). Returns 0, or -1 if either value is unknown.
 */
int log_setup(const char *level, const char *format);

/* True when messages of this level are written. */
bool log_enabled(enum log_level lvl);

/*
 * Write one line: msg, then NULL-terminated key/value string pairs, e.g.
 *   log_msg(LOG_ERROR, "collector failed", "collector", "cpu", "err", e, NULL);
 * A NULL value is written as an empty string. The line is emitted with a
 * single write(2) so lines of concurrent threads never interleave.
 */
void log_msg(enum log_level lvl, const char *msg, ...) __attribute__((sentinel));

/*
 * Keep the lines logged from now on in memory (start-up only, one thread):
 * a configuration error then leaves one line on stderr, not the lines
 * logged before it. log_release() writes them out and logs directly again.
 */
void log_hold(void);
void log_release(void);

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
