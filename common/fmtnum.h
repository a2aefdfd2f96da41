/* Number rendering that matches Go's strconv, as Prometheus clients use it. */
#ifndef COMMON_FMTNUM_H
#define COMMON_FMTNUM_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of any function here, including the NUL. */
#define FMT_NUM_MAX 32

/*
 * Go's strconv.FormatFloat(v, 'g', -1, 64) as client_golang writes sample
 * values in text 0.0.4: shortest digits that read back to the same double,
 * exponent form when the decimal exponent is < -4 or >= 6 ("1e+06",
 * "1.234567e+06", "123456", "0.0001", "1e-05"), "NaN", "+Inf", "-Inf", and
 * "0" for both zeros. Writes a NUL-terminated string and returns its length.
 */
size_t fmt_float(char *dst, double v);

/*
 * OpenMetrics float: as fmt_float but integral values get ".0" ("1.0",
 * "1e+06" keeps its exponent), as prometheus/common's OpenMetrics encoder.
 */
size_t fmt_float_om(char *dst, double v);

/* Decimal rendering of an unsigned integer. */
size_t fmt_u64(char *dst, uint64_t v);

#endif
