/* Flushing a medium once it has stopped being written: syncfs() on its
 * mount, in a child process, when it still has data waiting and nothing
 * has changed for flush_idle seconds. The kernel would otherwise keep
 * the data in memory for 30 s and more; a user who sees "safe" sooner
 * pulls the stick sooner. */
#ifndef MEDIAD_IDLEFLUSH_H
#define MEDIAD_IDLEFLUSH_H

struct mediad;
struct medium;

/* Starts the flush of e (mounted on e->rec.mountpoint) in a child; when
 * it ends, dirty_flushed() or a log line. Never waits. */
void idleflush_start(struct mediad *md, struct medium *e);

/* Stops watching the flushes still running (at exit): the children
 * finish on their own, and init reaps them. */
void idleflush_stop_all(struct mediad *md);

#endif
