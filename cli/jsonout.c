/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist --json: one object per medium with the keys documented in
 * medialist(1), always all of them, always in this order. Every string
 * goes through json_escape(): output is valid JSON whatever a label
 * holds. Keys may be added, never renamed or removed. */
#include "medialist.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"

static void str(FILE *out, const char *key, const char *val, bool comma)
{
	char buf[JSON_ESCAPED_MAX(LABEL_BUF * 2)];

	if (json_escape(val, strlen(val), buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "\"\"");
	fprintf(out, "\"%s\":%s%s", key, buf, comma ? "," : "");
}

static void null_or_str(FILE *out, const char *key, const char *val)
{
	if (*val)
		str(out, key, val, true);
	else
		fprintf(out, "\"%s\":null,", key);
}

void jsonout_entry(const struct ml *ml, const struct entry *e, FILE *out)
{
	const struct record *r = &e->rec;
	char devnum[32], path[600];

	snprintf(devnum, sizeof(devnum), "%u:%u", r->devmajor, r->devminor);
	snprintf(path, sizeof(path), "%s/list/%s", ml->cfg.media_dir, r->name);
	fputc('{', out);
	null_or_str(out, "name", e->ignored ? "" : r->name);
	str(out, "kname", r->kname, true);
	str(out, "devname", r->devname, true);
	str(out, "devnum", devnum, true);
	fprintf(out, "\"diskseq\":%" PRIu64 ",", r->diskseq);
	str(out, "fstype", r->fstype, true);
	str(out, "mounttype", r->mounttype, true);
	str(out, "fsversion", r->fsversion, true);
	str(out, "usage", r->usage, true);
	str(out, "label", r->label, true);
	str(out, "uuid", r->uuid, true);
	str(out, "bus", r->bus, true);
	str(out, "vendor", r->vendor, true);
	str(out, "model", r->model, true);
	str(out, "serial", r->serial, true);
	fprintf(out, "\"size\":%" PRIu64 ",", r->size);
	fprintf(out, "\"readonly\":%s,", r->readonly ? "true" : "false");
	fprintf(out, "\"removable\":%s,", r->removable ? "true" : "false");
	str(out, "state", state_name(e), true);
	null_or_str(out, "mountpoint", r->mountpoint);
	null_or_str(out, "path", e->ignored ? "" : path);
	str(out, "options", r->options, true);
	null_or_str(out, "reason", r->reason);
	null_or_str(out, "mounted_type", r->mounted_type);
	null_or_str(out, "mounted_options", r->mounted_options);
	null_or_str(out, "mount_note", r->mount_note);
	null_or_str(out, "mount_error", r->mount_error);
	/* safe to pull now; null for devices that are never offered */
	if (e->ignored)
		fprintf(out, "\"safe\":null,");
	else
		fprintf(out, "\"safe\":%s,", r->safe ? "true" : "false");
	null_or_str(out, "dirty_source", r->dirty_source);
	/* encrypted media: what a container is unlocked as, a cleartext's
	 * container (kernel name) */
	null_or_str(out, "unlocked_as", r->unlocked_as);
	null_or_str(out, "container", r->container);
	/* the last key carries no comma */
	fprintf(out, "\"ignored\":%s}", e->ignored ? "true" : "false");
}

int jsonout_list(const struct ml *ml, const struct entries *e, FILE *out)
{
	fputc('[', out);
	for (size_t i = 0; i < e->n; i++) {
		fputs(i ? ",\n " : "\n ", out);
		jsonout_entry(ml, &e->v[i], out);
	}
	fputs(e->n ? "\n]\n" : "]\n", out);
	return 0;
}
