/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Encrypted media in the media table (see crypt.h). What ties a
 * cleartext to its container is sysfs (the mapping's one slave), never a
 * name from a stick; mediad closes only mappings named as it names them.
 * Must never publish itself: a container is judged again through the
 * ordinary event path, and daemon/change.c writes. */
#include "crypt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

#include "change.h"
#include "cryptctl.h"
#include "cryptkey.h"
#include "cryptrun.h"
#include "cryptsys.h"
#include "events.h"
#include "later.h"
#include "log.h"
#include "mediad.h"

const char *crypt_sysfs = "/sys/class/block";

#define TRIED_MAX 64

/* containers whose key_dir key was tried (device number and diskseq):
 * once per plug, so that a lock is not undone by the next event */
static struct {
	dev_t devnum;
	uint64_t diskseq;
} tried[TRIED_MAX];
static size_t n_tried;

struct medium *crypt_find_kname(struct mediad *md, const char *kname)
{
	for (size_t i = 0; i < md->media.n; i++)
		if (!strcmp(md->media.v[i]->rec.kname, kname))
			return md->media.v[i];
	return NULL;
}

struct medium *crypt_find_cleartext(struct mediad *md, const char *kname)
{
	for (size_t i = 0; i < md->media.n; i++)
		if (!strcmp(md->media.v[i]->rec.container, kname))
			return md->media.v[i];
	return NULL;
}

enum unlock_type crypt_type_of(const struct record *r)
{
	if (!strcmp(r->fstype, "crypto_LUKS"))
		return UNLOCK_LUKS;
	if (!strcmp(r->fstype, "BitLocker"))
		return UNLOCK_BITLK;
	return UNLOCK_AUTO;
}

int crypt_map_of(const char *dm, char *map, size_t size)
{
	struct cleartext c;

	if (cryptsys_cleartext(crypt_sysfs, dm, &c) != 1 || !c.ours)
		return -ENOENT;
	snprintf(map, size, "%s", c.map);
	return 0;
}

static struct medium *find_any(struct mediad *md, const char *name)
{
	struct medium *e = media_find_name(&md->media, name);

	return e ? e : crypt_find_kname(md, name);
}

bool crypt_is_crypt(struct mediad *md, const char *name)
{
	const struct medium *e = find_any(md, name);

	return e && (e->rec.container[0] || e->rec.unlocked_as[0] ||
		     !strcmp(e->rec.usage, "crypto"));
}

/* What blkid makes of random bytes: policy.c's reason, the probe's
 * wording after it ("no filesystem found (unknown, damaged or blank)") */
static bool blank(const struct record *r)
{
	return !strncmp(r->reason, "no filesystem found", 19);
}

static bool is_tcrypt(const struct unlock_opts *o)
{
	return o && (o->type == UNLOCK_TCRYPT || o->type == UNLOCK_VERACRYPT);
}

struct medium *crypt_target(struct mediad *md, const char *name,
			    const struct unlock_opts *o, struct medium **clear, char *why,
			    size_t size)
{
	struct medium *e = find_any(md, name), *ct;
	char dm[64];
	enum unlock_type sig;

	*clear = NULL;
	if (!e) {
		snprintf(why, size, "%s: no such medium", name);
		return NULL;
	}
	if (e->rec.container[0]) {
		if (!(ct = crypt_find_kname(md, e->rec.container))) {
			snprintf(why, size, "%s: its container %s is not known", name,
				 e->rec.container);
			return NULL;
		}
		*clear = e;
		return ct;
	}
	if (e->offered) {
		snprintf(why, size, "%s is not an encrypted container (it holds %s)", name,
			 e->rec.fstype);
		return NULL;
	}
	*clear = crypt_find_cleartext(md, e->rec.kname);
	if (!strcmp(e->rec.usage, "crypto")) {
		sig = crypt_type_of(&e->rec);
		if (o && o->type != UNLOCK_AUTO &&
		    (is_tcrypt(o) || (sig == UNLOCK_BITLK) != (o->type == UNLOCK_BITLK))) {
			snprintf(why, size, "%s holds a %s header, not %s", name, e->rec.fstype,
				 unlockproto_type_name(o->type));
			return NULL;
		}
		return e;
	}
	if (*clear || e->rec.unlocked_as[0] ||
	    cryptsys_holder(crypt_sysfs, e->rec.kname, dm, sizeof(dm)) == 1)
		return e; /* unlocked: a VeraCrypt volume has no signature */
	/* a VeraCrypt or TrueCrypt volume is random bytes to blkid */
	if (is_tcrypt(o) && !e->rec.fstype[0] && blank(&e->rec))
		return e;
	snprintf(why, size, "%s is not an encrypted container (%s)%s", name, e->rec.reason,
		 blank(&e->rec) && !is_tcrypt(o)
			 ? "; a VeraCrypt or TrueCrypt volume needs its type given"
			 : "");
	return NULL;
}

void crypt_adjust(struct mediad *md, struct devinfo *info)
{
	struct cleartext c;
	const struct medium *ct;

	if (cryptsys_cleartext(crypt_sysfs, info->kname, &c) != 1 ||
	    !(ct = crypt_find_kname(md, c.container)))
		return;
	snprintf(info->bus, sizeof(info->bus), "%s", ct->rec.bus);
	snprintf(info->vendor, sizeof(info->vendor), "%s", ct->rec.vendor);
	snprintf(info->model, sizeof(info->model), "%s", ct->rec.model);
	snprintf(info->serial, sizeof(info->serial), "%s", ct->rec.serial);
	info->removable = ct->rec.removable;
}

/* The name of last resort of a cleartext without a label: its
 * container's label, else the container's base name and "_unlocked". */
static void fallback_name(struct mediad *md, const char *container, struct record *rec)
{
	const struct medium *ct = crypt_find_kname(md, container);
	char base[NAME_BUF];

	rec->vendor[0] = '\0';
	if (ct && ct->rec.label[0]) {
		/* cut on a byte: the name's sanitiser mends a split character */
		snprintf(rec->model, sizeof(rec->model), "%.*s", (int)sizeof(rec->model) - 1,
			 ct->rec.label);
		return;
	}
	if (ct)
		media_base_name(&ct->rec, base);
	else
		snprintf(base, sizeof(base), "%s", container);
	snprintf(rec->model, sizeof(rec->model), "%s_unlocked", base);
}

void crypt_classify(struct mediad *md, const struct devinfo *info, struct record *rec,
		    enum verdict *v)
{
	struct cleartext c;
	const struct medium *clear;
	char dm[64], why[sizeof(rec->reason)];
	const char *type;

	if (cryptsys_cleartext(crypt_sysfs, info->kname, &c) == 1) {
		if (c.ours && !c.container_present) {
			/* not tied to anything: a new stick must never find it */
			*v = VERDICT_IGNORED;
			rec->mounttype[0] = rec->options[0] = '\0';
			snprintf(rec->reason, sizeof(rec->reason), "cleartext of a container that "
				 "is gone: /dev/mapper/%.100s is being removed", c.map);
			return;
		}
		if (!c.container[0])
			return;
		snprintf(rec->container, sizeof(rec->container), "%s", c.container);
		if (*v == VERDICT_OFFERED && !rec->label[0])
			fallback_name(md, c.container, rec);
		if (*v != VERDICT_OFFERED) {
			snprintf(why, sizeof(why), "%s", rec->reason);
			snprintf(rec->reason, sizeof(rec->reason), "cleartext of %.63s: %.170s",
				 c.container, why);
		}
		return;
	}
	clear = crypt_find_cleartext(md, info->kname);
	if (cryptsys_holder(crypt_sysfs, info->kname, dm, sizeof(dm)) != 1)
		return; /* locked: the policy's reason says how to unlock */
	if (cryptsys_cleartext(crypt_sysfs, dm, &c) != 1)
		return;
	type = cryptsys_type_label(c.type);
	*v = VERDICT_IGNORED;
	if (clear && change_announced(clear)) {
		snprintf(rec->unlocked_as, sizeof(rec->unlocked_as), "%s",
			 clear->offered ? clear->rec.name : clear->rec.kname);
		snprintf(rec->reason, sizeof(rec->reason), "encrypted container (%s), unlocked "
			 "as %s", type, rec->unlocked_as);
	} else {
		snprintf(rec->reason, sizeof(rec->reason), "encrypted container (%s), unlocked "
			 "(%s)", type, dm);
	}
}

static void rejudge_now(struct mediad *md, dev_t devnum, struct udev_device *d)
{
	if (media_find(&md->media, devnum))
		events_handle(md, d, "change");
}

/* The container is judged again through the event path once the event
 * at hand is done (its cleartext came or went). */
static void rejudge(struct mediad *md, dev_t devnum)
{
	later_run(md, devnum, 0., rejudge_now);
}

static void on_closed(const struct child_result *res, void *arg)
{
	char msg[300];

	(void)arg;
	cryptrun_message(res, msg, sizeof(msg));
	if (res->status == 0)
		log_info("%s", msg);
	else
		log_err("deferred removal of a mapping: %s", msg);
}

static void close_deferred(struct mediad *md, const char *map)
{
	int err;

	if (!cryptrun_close(md->loop, map, true, on_closed, NULL, &err))
		log_err("cannot remove /dev/mapper/%s: %s", map, strerror(-err));
}

static bool was_tried(const struct medium *e, bool mark)
{
	for (size_t i = 0; i < n_tried; i++)
		if (tried[i].devnum == e->devnum && tried[i].diskseq == e->rec.diskseq)
			return true;
	if (mark && n_tried < TRIED_MAX) {
		tried[n_tried].devnum = e->devnum;
		tried[n_tried++].diskseq = e->rec.diskseq;
	}
	return false;
}

static void forget_tried(dev_t devnum)
{
	for (size_t i = 0; i < n_tried;)
		if (tried[i].devnum == devnum)
			tried[i] = tried[--n_tried];
		else
			i++;
}

static void auto_unlock(struct mediad *md, struct medium *e)
{
	char why[400], dm[64];
	int fd;

	/* open already (a restart, a mapping made by hand): nothing to do */
	if (!md->cfg.key_dir[0] || cryptctl_busy(e->rec.kname) ||
	    cryptsys_holder(crypt_sysfs, e->rec.kname, dm, sizeof(dm)) == 1 ||
	    was_tried(e, true))
		return;
	fd = cryptkey_open(md->cfg.key_dir, e->rec.uuid, UNLOCK_SECRET_MAX, why, sizeof(why));
	if (fd == -ENOENT) {
		log_debug("%s: no key for UUID %s in %s", e->rec.kname, e->rec.uuid,
			  md->cfg.key_dir);
		return;
	}
	if (fd < 0) {
		log_warn("%s: no auto-unlock: %s", e->rec.kname, why);
		return;
	}
	cryptctl_auto(md, e, fd);
}

void crypt_after(struct mediad *md, struct medium *e)
{
	struct cleartext c;
	struct medium *ct;

	if (cryptsys_cleartext(crypt_sysfs, e->rec.kname, &c) == 1) {
		if (c.ours && !c.container_present && !e->offered) {
			close_deferred(md, c.map); /* left over: say a restart after a pull */
			return;
		}
		if (!e->rec.container[0] || !change_announced(e))
			return;
		cryptctl_published(md, e->rec.container, e);
		ct = crypt_find_kname(md, e->rec.container);
		if (ct && strcmp(ct->rec.unlocked_as, e->offered ? e->rec.name : e->rec.kname))
			rejudge(md, ct->devnum);
		return;
	}
	if (!e->offered && !strcmp(e->rec.usage, "crypto") && !e->rec.unlocked_as[0] &&
	    !crypt_find_cleartext(md, e->rec.kname))
		auto_unlock(md, e);
}

void crypt_gone(struct mediad *md, struct medium *e)
{
	struct medium *other;
	struct cleartext c;

	if (e->rec.container[0]) {
		/* locked, or removed at last: its container is locked again */
		if ((other = crypt_find_kname(md, e->rec.container)))
			rejudge(md, other->devnum);
		return;
	}
	cryptctl_gone(md, e->rec.kname);
	forget_tried(e->devnum);
	if (!(other = crypt_find_cleartext(md, e->rec.kname)))
		return;
	log_warn("%s (%s): its container %s was removed while unlocked: withdrawing it",
		 other->offered ? other->rec.name : other->rec.kname, other->rec.devname,
		 e->rec.kname);
	if (cryptsys_cleartext(crypt_sysfs, other->rec.kname, &c) != 1)
		c.ours = false;
	/* its mount is detached lazily (change.c): nothing waits on a dead
	 * stick; what was not written is lost */
	change_forget(md, other, true);
	if (c.ours)
		close_deferred(md, c.map);
}
