/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lock and eject child of encrypted media (see cryptlock.h). Runs
 * after fork, never in the event loop: it may block for as long as the
 * stick takes to write back. */
#include "cryptlock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "ctlproto.h"
#include "cryptrun.h"
#include "mediaction.h"
#include "mediad.h"
#include "run.h"

#define CLOSE_MS 30000

/* The helper's line without its "ok "/"error " word. */
static const char *tail(const char *out)
{
	if (!strncmp(out, "error ", 6))
		return out + 6;
	return !strncmp(out, "ok ", 3) ? out + 3 : out;
}

static int lock(const struct cryptlock *j);

int cryptlock_run(void *arg)
{
	int r = lock(arg);

	/* the child ends with _exit(): stdio is flushed here or never */
	fflush(stdout);
	return r;
}

static int lock(const struct cryptlock *j)
{
	const struct media *mt = &j->md->media;
	struct mediaction act = { .media_dir = j->md->cfg.media_dir, .root = j->root };
	dev_t *offered = calloc(mt->n + 2, sizeof(*offered));
	const char *argv[] = { "mediad-unlock", "close", j->map, NULL };
	char reply[CONTROL_REPLY_MAX], out[512] = "", flush[80] = "", *nl;
	struct record ct = j->container;
	const char *name = j->has_clear && j->clear.name[0] ? j->clear.name : ct.kname;
	int r = 0, status = 0;

	if (!offered) {
		printf("error out of memory\n");
		return ENOMEM;
	}
	/* only offered media, as for any action; the container once locked */
	for (size_t i = 0; i < mt->n; i++)
		if (mt->v[i]->offered)
			offered[act.n_offered++] = mt->v[i]->devnum;
	act.offered = offered;
	if (!ct.name[0]) /* listed by its kernel name: mediaction's messages name it */
		snprintf(ct.name, sizeof(ct.name), "%s", ct.kname);
	if (j->has_clear && !j->map[0]) {
		printf("error %s was not unlocked by mediad: close it with cryptsetup close\n",
		       name);
		free(offered);
		return EPERM;
	}
	/* an offered cleartext has its mount under <media_dir>/auto */
	if (j->has_clear && j->clear.name[0]) {
		r = mediaction_run(&act, "unmount", &j->clear, reply, sizeof(reply));
		if (r < 0) {
			printf("%s\n", reply);
			free(offered);
			return -r;
		}
		if ((nl = strchr(reply, '\n')))
			snprintf(flush, sizeof(flush), "%s", nl);
	}
	if (j->map[0]) {
		r = run_program(cryptrun_helper(), argv, NULL, CLOSE_MS, out, sizeof(out), &status);
		out[strcspn(out, "\n")] = '\0';
		if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("error cannot lock %s: %s%s\n", name,
			       r < 0 ? strerror(-r) : *out ? tail(out) : "mediad-unlock failed",
			       flush);
			free(offered);
			return r < 0 ? -r : EBUSY;
		}
	}
	if (j->eject) {
		/* locked: the container is a medium like any other now */
		offered[act.n_offered++] = makedev(ct.devmajor, ct.devminor);
		r = mediaction_run(&act, "eject", &ct, reply, sizeof(reply));
		printf("%s%s\n", reply, strchr(reply, '\n') ? "" : flush);
	} else {
		printf("ok %s locked (%s closed)%s\n", name, ct.kname, flush);
	}
	free(offered);
	return r < 0 ? -r : 0;
}
