/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mediad-unlock: opens (or only checks) one encrypted container with
 * libcryptsetup, or closes mediad's mapping of one, for mediad's child
 * (daemon/cryptctl.c) so that the daemon itself never links
 * libcryptsetup. The secret comes on standard input, never in argv or
 * the environment; one line on stdout says what happened, the exit status
 * says it for programs. Must never print, log or keep the secret, and
 * never touch a mapping whose name is not mediad's.
 *
 *   mediad-unlock open [--raw] DEVICE MAJ:MIN MAPNAME OPTS
 *       stdin: the secret message of lib/unlockproto.h ("secret[ pim=N]\n"
 *       then the bytes), or with --raw the bare bytes of a key file
 *   mediad-unlock close MAPNAME [deferred]
 *
 * Exit status (UNLOCK_EXIT_* in lib/unlockproto.h, mediad(8)):
 *   0 done   1 wrong passphrase or key   2 usage, bad input
 *   3 not such a container, or an unsupported or damaged header
 *   4 the key derivation needs more memory than the bound (RLIMIT_AS)
 *   5 busy: already open, or still in use   6 device-mapper failed
 *   7 any other failure */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <libcryptsetup.h>

#include "secret.h"
#include "unlockproto.h"

static char last_error[256];

/* libcryptsetup's messages: the last error is kept for our one line,
 * nothing is printed (its messages never hold a secret, but only our
 * line is the contract). */
static void on_log(int level, const char *msg, void *usrptr)
{
	size_t len;

	(void)usrptr;
	if (level != CRYPT_LOG_ERROR || !msg)
		return;
	snprintf(last_error, sizeof(last_error), "%s", msg);
	len = strlen(last_error);
	while (len && (last_error[len - 1] == '\n' || last_error[len - 1] == '.'))
		last_error[--len] = '\0';
}

static int say(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int say(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	printf("%s %s\n", code == UNLOCK_EXIT_OK ? "ok" : "error", msg);
	fflush(stdout);
	return code;
}

static const char *reason(int r)
{
	return last_error[0] ? last_error : strerror(-r);
}

static uint64_t vm_size(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* LUKS2 keyslots with argon2 say how much memory they need: when even
 * the most modest one needs more than the address-space bound mediad set
 * leaves, say so rather than be killed or fail with a bare ENOMEM. */
static int memory_check(struct crypt_device *cd, const char *dev)
{
	struct rlimit rl;
	uint64_t avail, least = UINT64_MAX, stack = 8ULL << 20;
	int max = crypt_keyslot_max(CRYPT_LUKS2);

	if (strcmp(crypt_get_type(cd), CRYPT_LUKS2) || getrlimit(RLIMIT_AS, &rl) < 0 ||
	    rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		stack = rl.rlim_cur;
	getrlimit(RLIMIT_AS, &rl);
	avail = rl.rlim_cur > vm_size() ? rl.rlim_cur - vm_size() : 0;
	for (int k = 0; k < max; k++) {
		struct crypt_pbkdf_type p;
		crypt_keyslot_info st = crypt_keyslot_status(cd, k);
		uint64_t need;

		if ((st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST) ||
		    crypt_keyslot_get_pbkdf(cd, k, &p) < 0)
			continue;
		/* argon2's matrix, a stack per thread, and room for the rest */
		need = strncmp(p.type, "argon2", 6) ? 0
		       : (uint64_t)p.max_memory_kb * 1024 + (uint64_t)p.parallel_threads * stack +
				 (16ULL << 20);
		if (need < least)
			least = need;
	}
	if (least == UINT64_MAX || least <= avail)
		return 0;
	return say(UNLOCK_EXIT_MEMORY,
		   "%s: its key derivation (argon2) needs %" PRIu64 " MiB, more than the "
		   "%" PRIu64 " MiB left under the bound of %" PRIu64 " MiB (unlock_memory "
		   "in mediad.conf)", dev, least >> 20, avail >> 20,
		   (uint64_t)rl.rlim_cur >> 20);
}

static int load(struct crypt_device *cd, const struct unlock_opts *o, const char *dev,
		const char *secret, size_t len, unsigned pim, int *keyfd)
{
	struct crypt_params_tcrypt tc = { 0 };
	char keypath[64];
	const char *keyfiles[1] = { keypath };
	int r;

	switch (o->type) {
	case UNLOCK_AUTO:
		if (crypt_load(cd, CRYPT_LUKS, NULL) == 0)
			return 0;
		last_error[0] = '\0';
		r = crypt_load(cd, CRYPT_BITLK, NULL);
		if (r < 0)
			return say(UNLOCK_EXIT_HEADER, "%s: neither a LUKS nor a BitLocker header "
				   "(for VeraCrypt or TrueCrypt give the type)", dev);
		return 0;
	case UNLOCK_LUKS:
	case UNLOCK_LUKS1:
	case UNLOCK_LUKS2:
	case UNLOCK_BITLK:
		r = crypt_load(cd, o->type == UNLOCK_BITLK ? CRYPT_BITLK
				   : o->type == UNLOCK_LUKS1 ? CRYPT_LUKS1
				   : o->type == UNLOCK_LUKS2 ? CRYPT_LUKS2 : CRYPT_LUKS, NULL);
		if (r < 0)
			return say(UNLOCK_EXIT_HEADER, "%s: no usable %s header (damaged, or a "
				   "version libcryptsetup does not know): %s", dev,
				   unlockproto_type_name(o->type), reason(r));
		return 0;
	default:
		break;
	}
	/* TCRYPT: the header itself is encrypted, so loading it is where
	 * the secret is checked */
	if (o->keyfile) {
		*keyfd = secret_memfd(secret, len);
		if (*keyfd < 0)
			return say(UNLOCK_EXIT_OTHER, "cannot hold the key file: %s",
				   strerror(-*keyfd));
		snprintf(keypath, sizeof(keypath), "/proc/self/fd/%d", *keyfd);
		tc.keyfiles = keyfiles;
		tc.keyfiles_count = 1;
	} else {
		if (len > 64)
			return say(UNLOCK_EXIT_USAGE, "TrueCrypt and VeraCrypt passphrases "
				   "have at most 64 bytes here (libcryptsetup)");
		tc.passphrase = secret;
		tc.passphrase_size = len;
	}
	tc.veracrypt_pim = pim;
	tc.flags = (o->type == UNLOCK_VERACRYPT ? CRYPT_TCRYPT_VERA_MODES : 0) |
		   (o->hidden ? CRYPT_TCRYPT_HIDDEN_HEADER : 0);
	r = crypt_load(cd, CRYPT_TCRYPT, &tc);
	if (r == -EPERM)
		return say(UNLOCK_EXIT_WRONG, "wrong %s, or not a %s volume%s",
			   o->keyfile ? "key file" : "passphrase",
			   o->type == UNLOCK_VERACRYPT ? "VeraCrypt or TrueCrypt" : "TrueCrypt",
			   o->hidden ? " with a hidden volume" : "");
	if (r < 0)
		return say(r == -ENOMEM ? UNLOCK_EXIT_MEMORY : UNLOCK_EXIT_HEADER,
			   "%s: cannot read the %s header: %s", dev,
			   unlockproto_type_name(o->type), reason(r));
	return 0;
}

/* DEVICE must still be the block device MAJ:MIN that mediad named: the
 * request was made for that medium, not for whatever took its node. */
static int check_device(const char *dev, const char *devnum, bool *ro)
{
	unsigned maj, min;
	struct stat st;
	int fd, flag = 0;
	char extra;

	if (sscanf(devnum, "%u:%u%c", &maj, &min, &extra) != 2)
		return say(UNLOCK_EXIT_USAGE, "bad device number '%s'", devnum);
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return say(UNLOCK_EXIT_OTHER, "%s: %s", dev, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != makedev(maj, min)) {
		close(fd);
		return say(UNLOCK_EXIT_USAGE, "%s is not the device %s any more", dev, devnum);
	}
	*ro = ioctl(fd, BLKROGET, &flag) == 0 && flag;
	close(fd);
	return 0;
}

static int map_error(int r, const struct unlock_opts *o, const char *dev, const char *name)
{
	if (r == -EPERM)
		return say(UNLOCK_EXIT_WRONG, "wrong %s", o->keyfile ? "key file" : "passphrase");
	if (r == -ENOMEM)
		return say(UNLOCK_EXIT_MEMORY, "%s: the key derivation needs more memory than the "
			   "bound (unlock_memory in mediad.conf): %s", dev, reason(r));
	if (r == -EEXIST)
		return say(UNLOCK_EXIT_BUSY, "%s is already open as /dev/mapper/%s", dev, name);
	if (r == -EBUSY)
		return say(UNLOCK_EXIT_BUSY, "%s is in use: %s", dev, reason(r));
	/* ENOTSUP is also BitLocker's "unsupported feature": the message
	 * tells device-mapper's trouble apart */
	if (strstr(last_error, "device-mapper") || strstr(last_error, "kernel dm-") ||
	    strstr(last_error, "dm-crypt") ||
	    r == -ENODEV || r == -ENXIO)
		return say(UNLOCK_EXIT_DM, "%s: cannot open the mapping: %s", dev, reason(r));
	if (r == -ENOTSUP || r == -EINVAL)
		return say(UNLOCK_EXIT_HEADER, "%s: not supported: %s", dev, reason(r));
	return say(UNLOCK_EXIT_OTHER, "%s: %s", dev, reason(r));
}

/* The kernel's device-mapper answers on its control node (libdevmapper
 * makes the node from /proc/misc, so its mere existence says nothing). */
static bool dm_present(void)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* name NULL: checks the secret and creates nothing */
static int activate(struct crypt_device *cd, const char *name, const char *bytes, size_t len,
		    uint32_t flags)
{
	if (!strcmp(crypt_get_type(cd), CRYPT_TCRYPT))
		return crypt_activate_by_volume_key(cd, name, NULL, 0, flags);
	return crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, bytes, len, flags);
}

static int do_open(const struct unlock_opts *o, bool raw, const char *dev,
		   const char *devnum, const char *name)
{
	struct crypt_device *cd = NULL;
	struct secret s;
	const char *bytes;
	unsigned pim = 0;
	size_t off = 0, len;
	int r, locked, keyfd = -1;
	bool ro = false, no_dm;

	r = secret_read(STDIN_FILENO, raw ? UNLOCK_SECRET_MAX : UNLOCK_MSG_MAX, &s, &locked);
	if (r < 0)
		return say(UNLOCK_EXIT_USAGE, "cannot read the secret: %s",
			   r == -EFBIG ? "too long" : strerror(-r));
	if (!raw && unlockproto_parse_secret(s.buf, s.len, &pim, &off) < 0) {
		secret_free(&s);
		return say(UNLOCK_EXIT_USAGE, "the secret message is malformed");
	}
	bytes = s.buf + off;
	len = s.len - off;
	if (!len || (pim && o->type != UNLOCK_VERACRYPT)) {
		secret_free(&s);
		return say(UNLOCK_EXIT_USAGE, len ? "a PIM is for VeraCrypt volumes only"
						  : "the secret is empty");
	}
	if ((r = check_device(dev, devnum, &ro)) != 0)
		goto out;
	if ((r = crypt_init(&cd, dev)) < 0) {
		r = say(UNLOCK_EXIT_OTHER, "%s: %s", dev, reason(r));
		goto out;
	}
	crypt_set_log_callback(cd, on_log, NULL);
	if ((r = load(cd, o, dev, bytes, len, pim, &keyfd)) != 0 ||
	    (r = memory_check(cd, dev)) != 0)
		goto out;
	/* Without device-mapper libcryptsetup refuses the name before it
	 * looks at the secret: check the secret alone then, so that the
	 * answer says which of the two is wrong. */
	no_dm = !o->test && !dm_present();
	r = activate(cd, o->test || no_dm ? NULL : name, bytes, len,
		     ro ? CRYPT_ACTIVATE_READONLY : 0);
	if (r < 0) {
		r = map_error(r, o, dev, name);
		goto out;
	}
	if (no_dm)
		r = say(UNLOCK_EXIT_DM, "%s: the %s fits, but device-mapper is not available "
			"(dm_mod and dm_crypt not loaded?): nothing opened",
			dev, o->keyfile ? "key file" : "passphrase");
	else if (o->test)
		r = say(UNLOCK_EXIT_OK, "%s: the %s fits (%s; nothing opened)", dev,
			o->keyfile ? "key file" : "passphrase", crypt_get_type(cd));
	else
		r = say(UNLOCK_EXIT_OK, "%s opened as /dev/mapper/%s (%s%s)", dev, name,
			crypt_get_type(cd), ro ? ", read-only" : "");
out:
	if (keyfd >= 0)
		close(keyfd);
	if (cd)
		crypt_free(cd);
	secret_free(&s);
	(void)locked;
	return r;
}

static int do_close(const char *name, bool deferred)
{
	int r;

	/* NULL device: libcryptsetup looks the mapping up by its name, which
	 * also works once the container's device is gone */
	r = crypt_deactivate_by_name(NULL, name, deferred ? CRYPT_DEACTIVATE_DEFERRED : 0);
	if (r == -ENODEV)
		return say(UNLOCK_EXIT_OK, "/dev/mapper/%s was not open", name);
	if (r == -EBUSY)
		return say(UNLOCK_EXIT_BUSY, "/dev/mapper/%s is still in use", name);
	if (r < 0)
		return say(UNLOCK_EXIT_DM, "cannot close /dev/mapper/%s: %s", name, reason(r));
	return say(UNLOCK_EXIT_OK, "/dev/mapper/%s %s", name,
		   deferred ? "closed (or closing once no longer in use)" : "closed");
}

int main(int argc, char **argv)
{
	struct rlimit none = { 0, 0 };
	struct unlock_opts o;
	bool raw = false;

	/* no core dump, no ptrace by anyone but root, whatever happens */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &none);
	/* one malloc arena: argon2's threads must not each reserve 64 MiB
	 * of address space under mediad's RLIMIT_AS */
	mallopt(M_ARENA_MAX, 1);
	crypt_set_log_callback(NULL, on_log, NULL);
	if (argc >= 2 && !strcmp(argv[1], "close") && (argc == 3 || argc == 4)) {
		if (!unlockproto_map_name_ok(argv[2]) ||
		    (argc == 4 && strcmp(argv[3], "deferred")))
			return say(UNLOCK_EXIT_USAGE, "close: bad arguments (mediad's mappings only)");
		return do_close(argv[2], argc == 4);
	}
	if (argc >= 3 && !strcmp(argv[1], "open") && !strcmp(argv[2], "--raw")) {
		raw = true;
		memmove(&argv[2], &argv[3], (size_t)(argc - 2) * sizeof(*argv)); /* and the NULL */
		argc--;
	}
	if (argc != 6 || strcmp(argv[1], "open")) {
		fprintf(stderr, "usage: mediad-unlock open [--raw] DEVICE MAJ:MIN MAPNAME OPTS\n"
				"       mediad-unlock close MAPNAME [deferred]\n"
				"(the secret on standard input; see mediad(8))\n");
		return UNLOCK_EXIT_USAGE;
	}
	if (!unlockproto_map_name_ok(argv[4]))
		return say(UNLOCK_EXIT_USAGE, "'%s' is not a mapping name of mediad's", argv[4]);
	if (unlockproto_parse_opts(argv[5], &o) < 0)
		return say(UNLOCK_EXIT_USAGE, "bad options '%s'", argv[5]);
	if (raw)
		o.keyfile = true;
	return do_open(&o, raw, argv[2], argv[3], argv[4]);
}
