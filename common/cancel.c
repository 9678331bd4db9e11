#include <string.h>

#include "common/cancel.h"
#include "common/error.h"
#include "common/banned.h"

void sw_cancel_init(struct sw_cancel *c)
{
	atomic_init(&c->reasons, 0);
	atomic_init(&c->who_claimed, 0);
	atomic_init(&c->who_ready, 0);
	c->who[0] = '\0';
}

int sw_cancel_raise(struct sw_cancel *c, enum sw_cancel_reason reason, const char *who)
{
	if (reason == SW_CANCEL_USER) {
		int unclaimed = 0;
		size_t n = who ? strlen(who) : 0;

		if (!atomic_compare_exchange_strong(&c->who_claimed, &unclaimed, 1)) {
			struct sw_buf by = SW_BUF_INIT;
			int ret;
			sw_cancel_who(c, &by);
			ret = sw_error_code(SW_EEXISTS, "being cancelled already (by %s)", by.len ? by.ptr : "someone");
			sw_buf_release(&by);
			return ret;
		}
		if (n > SW_CANCEL_WHO_MAX)
			n = SW_CANCEL_WHO_MAX;
		memcpy(c->who, who ? who : "", n);
		c->who[n] = '\0';
		atomic_store(&c->who_ready, 1);
	}
	atomic_fetch_or(&c->reasons, (unsigned)reason);
	return 0;
}

void sw_cancel_withdraw(struct sw_cancel *c, enum sw_cancel_reason reason)
{
	if (reason == SW_CANCEL_USER || reason == SW_CANCEL_STOP)
		return;
	atomic_fetch_and(&c->reasons, ~(unsigned)reason);
}

int sw_cancel_is(const struct sw_cancel *c, unsigned reasons)
{
	return c && (atomic_load(&((struct sw_cancel *)c)->reasons) & reasons) != 0;
}

int sw_cancel_raised(const struct sw_cancel *c)
{
	return c && atomic_load(&((struct sw_cancel *)c)->reasons) != 0;
}

int sw_cancel_who(const struct sw_cancel *c, struct sw_buf *who)
{
	int yes = sw_cancel_is(c, SW_CANCEL_USER) && atomic_load(&((struct sw_cancel *)c)->who_ready);

	if (who) {
		sw_buf_reset(who);
		if (yes)
			sw_buf_adds(who, c->who);
	}
	return yes;
}

int sw_cancel_by_user(const struct sw_cancel *c, struct sw_buf *who)
{
	if (sw_cancel_is(c, SW_CANCEL_STOP)) {
		if (who)
			sw_buf_reset(who);
		return 0;
	}
	return sw_cancel_who(c, who);
}
