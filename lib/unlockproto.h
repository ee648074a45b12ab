/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unlock part of the control-socket contract (lib/ctlproto.h), shared
 * by mediad, medialist and mediad-unlock: the options of an unlock
 * request and the header of the message that carries the secret. Parses
 * untrusted bytes; never copies a secret (it only says where one starts).
 *
 *   client: "unlock OPTS NAME"   OPTS: "-" or a comma-separated list of
 *           type=luks|luks1|luks2|tcrypt|veracrypt|bitlk, hidden, keyfile,
 *           test (one token: a name may hold spaces, an option never)
 *   mediad: "more TEXT"          (or "error TEXT": nothing more is read)
 *   client: "secret\n" BYTES, or "secret pim=N\n" BYTES (one message;
 *           BYTES: the passphrase without its newline, or a key file)
 *   mediad: "ok TEXT" or "error TEXT"
 *
 * The PIM travels with the secret, not in the request: VeraCrypt treats
 * it as part of the secret, and only the request is ever logged. */
#ifndef MEDIAD_UNLOCKPROTO_H
#define MEDIAD_UNLOCKPROTO_H

#include <stdbool.h>
#include <stddef.h>

/* mediad-unlock's exit statuses: the contract between the helper and
 * mediad's child (daemon/cryptctl.c), documented in mediad(8). */
#define UNLOCK_EXIT_OK 0
#define UNLOCK_EXIT_WRONG 1   /* wrong passphrase or key file */
#define UNLOCK_EXIT_USAGE 2   /* bad arguments or a malformed secret */
#define UNLOCK_EXIT_HEADER 3  /* not that kind of container; unsupported or damaged */
#define UNLOCK_EXIT_MEMORY 4  /* the key derivation needs more than the bound */
#define UNLOCK_EXIT_BUSY 5    /* already open, or still in use */
#define UNLOCK_EXIT_DM 6      /* device-mapper could not make or drop the mapping */
#define UNLOCK_EXIT_OTHER 7

/* A passphrase or key file: LUKS' own default for a key file read
 * whole is 8 MiB, but key files are random bytes of a few KiB (a 4 KiB
 * one is what the guides make) and BitLocker's .BEK files are smaller. */
#define UNLOCK_SECRET_MAX 8192
#define UNLOCK_HEADER_MAX 32                  /* "secret pim=NNNNNNNNNN\n" */
#define UNLOCK_MSG_MAX (UNLOCK_SECRET_MAX + UNLOCK_HEADER_MAX)
#define UNLOCK_PIM_MAX 2147468                /* VeraCrypt's own limit */

enum unlock_type {
	UNLOCK_AUTO,      /* LUKS or BitLocker, whichever the header is */
	UNLOCK_LUKS,      /* LUKS1 or LUKS2 */
	UNLOCK_LUKS1,
	UNLOCK_LUKS2,
	UNLOCK_TCRYPT,    /* TrueCrypt format (and VeraCrypt's, tried too) */
	UNLOCK_VERACRYPT, /* VeraCrypt format (and TrueCrypt's) */
	UNLOCK_BITLK,     /* BitLocker */
};

struct unlock_opts {
	enum unlock_type type;
	bool hidden;   /* TCRYPT: the hidden volume's header */
	bool keyfile;  /* the bytes are a key file's, not a typed passphrase */
	bool test;     /* check the secret, open nothing */
};

/* "type=luks,hidden" (or "-") into o. 0, or -EINVAL for any unknown,
 * repeated or malformed option, or hidden without a TCRYPT type. */
int unlockproto_parse_opts(const char *s, struct unlock_opts *o);

/* The inverse: "-" or the list. Returns the length or -ENOSPC. */
int unlockproto_format_opts(const struct unlock_opts *o, char *out, size_t size);

/* The secret message's header. *pim: 0 when none was given; *off: where
 * the secret starts. 0, or -EINVAL (no header, a bad PIM, an empty
 * secret, more than UNLOCK_SECRET_MAX bytes of it). */
int unlockproto_parse_secret(const char *buf, size_t len, unsigned *pim, size_t *off);

/* "secret\n" or "secret pim=N\n" into out. Returns the length or -ENOSPC. */
int unlockproto_secret_header(unsigned pim, char *out, size_t size);

/* "luks", "veracrypt", ...; unlockproto_type_parse is its inverse and
 * also takes "truecrypt" (= tcrypt) and "bitlocker" (= bitlk). */
const char *unlockproto_type_name(enum unlock_type t);
int unlockproto_type_parse(const char *s, enum unlock_type *t);

/* The device-mapper name mediad gives a container's cleartext:
 * "mediad-KNAME", or "mediad-KNAME-DISKSEQ" when the kernel numbers its
 * disks, so that a stick pulled while its mapping waits for deferred
 * removal never blocks the next stick that takes its kernel name. */
int unlockproto_map_name(const char *kname, unsigned long long diskseq, char *out,
			 size_t size);

/* True for a name of that form (and only characters dm allows). */
bool unlockproto_map_name_ok(const char *name);

#endif
