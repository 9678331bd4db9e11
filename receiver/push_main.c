/*
 * slipway-push: one `git push`'s receive-pack request, served by a process of its own
 * (receiver/pushproc.h). slipwayd starts it with the pusher's socket as fd 3 and the CGI
 * environment of `git http-backend` as its whole environment, having checked the
 * request's token; from then on the push is ours and outlives any slipwayd.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "receiver/pushproc.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/banned.h"

extern char **environ;

int main(int argc, char **argv)
{
	struct sw_strvec env = SW_STRVEC_INIT;
	const char *app = getenv("SLIPWAY_APP");
	char **e;
	int ret, type = 0;
	socklen_t len = sizeof(type);

	(void)argv;
	if (argc != 1 || getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
		fprintf(stderr, "slipway-push: started by slipwayd only (the pusher's socket as fd 3)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (e = environ; *e; e++)
		if (strncmp(*e, "PATH=", 5))
			sw_strvec_push(&env, *e);
	ret = sw_pushproc_serve(3, &env);
	if (ret < 0)
		sw_log(SW_LOG_WARN, app, 0, "slipway-push[%d]: %s", (int)getpid(), sw_error_last());
	sw_strvec_clear(&env);
	return ret < 0 ? 1 : 0;
}
