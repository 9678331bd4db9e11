/*
 * slipway-door: answers "slipway is not running" on slipwayd's port while slipwayd is
 * gone, until the next slipwayd takes the port over (receiver/door.h). Started by
 * slipwayd with its listening socket as fd 3 and a pipe as fd 4.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "receiver/door.h"
#include "common/banned.h"

int main(int argc, char **argv)
{
	int type = 0;
	socklen_t len = sizeof(type);

	(void)argv;
	if (argc != 1 || getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
		fprintf(stderr, "slipway-door: started by slipwayd only (its listening socket as fd 3)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return sw_door_run(getenv("SLIPWAY_HOME"));
}
