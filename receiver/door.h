#ifndef SW_DOOR_H
#define SW_DOOR_H

/*
 * The door keeper (slipway-door, door_main.c): a small process slipwayd starts with a
 * copy of its listening socket, so that something answers on slipwayd's port when
 * slipwayd is not there:
 *  - while slipwayd lives it only waits (on a pipe whose other end only slipwayd holds);
 *  - slipwayd stopped on purpose (SIGTERM: sw_door_close(fd, 1)): it leaves, and the
 *    port with it;
 *  - slipwayd died (the pipe ends without a word): it answers every request on the port
 *    at once with 503 and the text/plain line "slipway is not running: ..." (git shows
 *    it as "remote: slipway is not running: ..."; a hook asking for its job tries again),
 *    and listens on $SLIPWAY_HOME/door.sock for the next slipwayd, which takes the
 *    listening socket over (sw_door_take) without a moment of refused connections; it
 *    also leaves once $SLIPWAY_HOME is gone.
 */

/*
 * slipwayd at start: the listening socket of a door keeper left by a slipwayd that died,
 * handed over: 1 with *fd, 0 when there is none, negative with one line.
 */
int sw_door_take(const char *home, int *fd);

/*
 * Start program (slipway-door) for listen_fd (a copy; ours stays ours). *keep is the
 * pipe end slipwayd holds until it ends (-1 when the door keeper could not start: one
 * line in the error slot, and a negative return).
 */
int sw_door_start(const char *program, const char *home, int listen_fd, int *keep);

/* slipwayd stops on purpose (stopping: the door keeper leaves too) or lets keep go. */
void sw_door_close(int keep, int stopping);

/* slipway-door's work: fd 3 the listening socket, fd 4 the pipe. Returns its exit status. */
int sw_door_run(const char *home);

#endif
