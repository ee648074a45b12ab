/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device events: add, change, remove, re-enumeration and mount changes,
 * turned into changes of the media table (published by daemon/change.c).
 * Registers its own watchers: the device monitor, libmount's monitor and
 * the close-after-write watch. */
#ifndef MEDIAD_EVENTS_H
#define MEDIAD_EVENTS_H

#include <sys/types.h>

struct mediad;
struct udev_device;

/* Wires the probe callback; call once before coldplug. */
void events_init(struct mediad *md);

/* Starts the watchers on md->loop (after coldplug). */
void events_start(struct mediad *md);

/* Handles one device event: action is "add", "change", "remove", ... */
void events_handle(struct mediad *md, struct udev_device *d, const char *action);

/* Coldplug and re-enumeration after lost events: makes the published
 * state equal to the devices present. */
int events_rescan(struct mediad *md);

/* The end of coldplug, once every probe has answered and the hints are
 * dropped: names and publishes the media that had no name from before. */
void events_name_waiting(struct mediad *md);

/* Stops the watchers and withdraws everything (clean stop). */
void events_stop(struct mediad *md);

#endif
