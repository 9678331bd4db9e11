#ifndef SW_NUMBER_H
#define SW_NUMBER_H

/*
 * Whole numbers read from people and programs (ids in URLs and on the command line,
 * release numbers, counts): decimal digits only — no sign, no space, no "0x" — so "12"
 * means 12 and nothing else does. Nothing is allocated.
 */

/* The largest id slipway hands out or takes: 15 digits. */
#define SW_NUMBER_ID_MAX 999999999999999LL

/*
 * s (may be NULL: refused) as a whole number from min to max (0 <= min <= max <=
 * SW_NUMBER_ID_MAX): 0 with *out, or -1 with *out untouched and no message (the caller
 * says what it wanted).
 */
int sw_number_parse(const char *s, long long min, long long max, long long *out);

#endif
