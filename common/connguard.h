#ifndef SW_CONNGUARD_H
#define SW_CONNGUARD_H

/*
 * A deadline for a request's headers that does not start over with every byte. An HTTP
 * server's idle timeout (libmicrohttpd's MHD_OPTION_CONNECTION_TIMEOUT, checked in
 * 0.9.75's source: last_activity is reset on every read) lets a client that sends one
 * header byte a second hold its connection for ever; enough of them and no one else gets
 * in. The guard counts from when a connection was accepted, or from the end of its
 * previous request: a connection whose next request's headers are not all there after
 * the deadline is shut down (shutdown(2) on its socket: the server then sees the client
 * gone and closes it the usual way, in its own thread). Used by slipwayd and the engine,
 * from their servers' connection callbacks:
 *
 *	sw_connguard_new(&g, 15000);
 *	slot = sw_connguard_open(g, fd);      // MHD_CONNECTION_NOTIFY_STARTED
 *	sw_connguard_busy(g, slot);           // a request's headers are complete
 *	sw_connguard_idle(g, slot);           // the request is over: the next one's clock starts
 *	sw_connguard_close(g, slot);          // MHD_CONNECTION_NOTIFY_CLOSED (before the fd closes)
 *	sw_connguard_free(g);                 // after the server stopped
 *
 * Thread-safe. No dependency on the server library: fds and opaque slots only.
 */
struct sw_connguard;

/* Start the guard's thread. 0, or negative with one line. */
int sw_connguard_new(struct sw_connguard **out, long header_ms);
void sw_connguard_free(struct sw_connguard *g);

/* A connection on fd begins: its slot (NULL when g is NULL or fd < 0: nothing is guarded). */
void *sw_connguard_open(struct sw_connguard *g, int fd);
/* The same for a connection that began earlier, at since (sw_time_mono()): accepted by
 * a front door of the server's own that looked at it first, its clock does not start over. */
void *sw_connguard_open_at(struct sw_connguard *g, int fd, double since);
void sw_connguard_busy(struct sw_connguard *g, void *slot);
void sw_connguard_idle(struct sw_connguard *g, void *slot);
/* The connection is closing: its slot is freed and its fd never touched again. */
void sw_connguard_close(struct sw_connguard *g, void *slot);

#endif
