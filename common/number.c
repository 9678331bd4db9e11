#include <string.h>

#include "common/number.h"
#include "common/banned.h"

int sw_number_parse(const char *s, long long min, long long max, long long *out)
{
	long long v = 0;
	size_t n = s ? strspn(s, "0123456789") : 0;
	size_t i;

	if (!n || s[n] || n > 15)
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
