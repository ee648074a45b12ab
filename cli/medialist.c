/* SPDX-License-Identifier: GPL-2.0-or-later */
/* medialist: the command line of mediad. Parses options, picks the
 * subcommand and maps results to the documented exit codes (0 done,
 * 1 refused or failed, 2 usage). Reads state without the daemon; must
 * never change state except through the daemon or, as root, eject.h. */
#include "medialist.h"
#include "unlock.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifndef VERSION
#define VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: medialist [OPTION]... [list]\n"
		"       medialist [OPTION]... info NAME\n"
		"       medialist [OPTION]... watch\n"
		"       medialist [OPTION]... mount|unmount|eject NAME\n"
		"       medialist [OPTION]... unlock NAME [--key-file FILE] [--type TYPE]\n"
		"                 [--pim N] [--hidden] [--test]\n"
		"       medialist [OPTION]... lock NAME\n"
		"Lists, watches, mounts, unmounts and ejects the media mediad offers.\n\n"
		"  -J, --json             JSON output (list, info, watch, unmount, eject)\n"
		"  -a, --all              also list the devices mediad ignores, with the reason\n"
		"  -o, --output COLUMNS   columns to show, e.g. NAME,SIZE,LABEL (+COLUMNS adds)\n"
		"  -n, --noheadings       no header line\n"
		"  -w, --wait             wait for NAME to appear (info, mount, unmount, eject)\n"
		"  -t, --timeout SECONDS  give up waiting after SECONDS (implies --wait)\n"
		"  -c, --config FILE      configuration file (default %s)\n"
		"  -s, --state-dir DIR    state directory (default from the configuration)\n"
		"  -m, --media-dir DIR    media directory (default from the configuration)\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the version\n"
		"unlock: the passphrase is asked on the terminal (no echo), else read as one\n"
		"line of standard input; NAME is the container's kernel name (medialist -a).\n"
		"      --key-file FILE    the key file's bytes instead ('-': standard input)\n"
		"      --type TYPE        luks, luks1, luks2, bitlk, veracrypt or truecrypt\n"
		"                         (VeraCrypt and TrueCrypt volumes have no signature)\n"
		"      --pim N            VeraCrypt's personal iterations multiplier\n"
		"      --hidden           VeraCrypt/TrueCrypt: open the hidden volume\n"
		"      --test             check the passphrase or key, open nothing\n"
		"lock NAME (the container or its cleartext) unmounts and closes; eject of\n"
		"either locks first.\n\n"
		"Columns: NAME DEVICE TYPE SIZE BUS STATE SAFE LABEL UUID VENDOR MODEL\n"
		"         SERIAL MOUNTPOINT OPTIONS RO RM KNAME DEVNUM REASON USAGE MOUNTTYPE\n"
		"         NOTE (why the last mount went as it did) UNLOCKED_AS CONTAINER\n"
		"Exit status: 0 done, 1 refused or failed (a wrong passphrase too), 2 usage\n"
		"error.\n",
		CONFIG_DEFAULT_PATH);
}

static int do_list(const struct ml *ml)
{
	struct entries e;
	int r;

	state_daemon_up(ml, true);
	r = state_load(ml, ml->all, &e);
	if (r < 0) {
		fprintf(stderr, "medialist: cannot read %s: %s\n", ml->cfg.state_dir,
			strerror(-r));
		return EXIT_FAILED;
	}
	r = ml->json ? jsonout_list(ml, &e, stdout) : table_print(ml, &e, stdout);
	state_free(&e);
	if (r == -EINVAL)
		return EXIT_USAGE;
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "medialist: write error: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	return r < 0 ? EXIT_FAILED : EXIT_DONE;
}

static int do_info(const struct ml *ml, const char *name)
{
	struct entry e;
	int r;

	if (ml->wait && (r = actions_wait_for(ml, name)) < 0) {
		fprintf(stderr, "medialist: %s: %s\n", name,
			r == -ETIMEDOUT ? "did not appear in time" : strerror(-r));
		return EXIT_FAILED;
	}
	/* a kernel name may hold '/' no more than a medium's name may */
	if (!*name || strchr(name, '/') || name[0] == '.' ||
	    state_find(ml, name, &e) < 0) {
		fprintf(stderr, "medialist: %s: no such medium\n", name);
		return EXIT_FAILED;
	}
	state_daemon_up(ml, true);
	if (ml->json) {
		jsonout_entry(ml, &e, stdout);
		fputc('\n', stdout);
	} else {
		table_info(&e, stdout);
	}
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "all", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "media-dir", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* unlock (cli/unlock.c) */
		{ "key-file", required_argument, NULL, 1000 },
		{ "type", required_argument, NULL, 1001 },
		{ "pim", required_argument, NULL, 1002 },
		{ "hidden", no_argument, NULL, 1003 },
		{ "test", no_argument, NULL, 1004 },
		{ NULL, 0, NULL, 0 },
	};
	static struct ml ml; /* large (config); not on the stack */
	struct unlock_args ua = { 0 };
	const char *config = CONFIG_DEFAULT_PATH, *state = NULL, *media = NULL;
	const char *cmd;
	char err[CONFIG_ERR_BUF], *end;
	int opt;

	/* display widths of labels are measured in a UTF-8 locale whatever
	 * the user's: the bytes are UTF-8 (or escaped) in any case */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	ml.timeout = -1;
	while ((opt = getopt_long(argc, argv, "Jao:nwt:c:s:m:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'J': ml.json = true; break;
		case 'a': ml.all = true; break;
		case 'o': ml.columns = optarg; break;
		case 'n': ml.noheadings = true; break;
		case 'w': ml.wait = true; break;
		case 't':
			ml.timeout = strtod(optarg, &end);
			if (*end || end == optarg || ml.timeout < 0) {
				fprintf(stderr, "medialist: --timeout: '%s' is not a number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			ml.wait = true;
			break;
		case 'c': config = optarg; break;
		case 's': state = optarg; break;
		case 'm': media = optarg; break;
		case 'h': usage(stdout); return EXIT_DONE;
		case 'V': printf("medialist %s\n", VERSION); return EXIT_DONE;
		case 1000: ua.key_file = optarg; break;
		case 1001: if (unlock_set_type(&ua, optarg)) return EXIT_USAGE; break;
		case 1002: if (unlock_set_pim(&ua, optarg)) return EXIT_USAGE; break;
		case 1003: ua.opts.hidden = true; break;
		case 1004: ua.opts.test = true; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	config_defaults(&ml.cfg);
	if (config_load(&ml.cfg, config, !strcmp(config, CONFIG_DEFAULT_PATH), err) < 0) {
		fprintf(stderr, "medialist: %s\n", err);
		return EXIT_FAILED;
	}
	if ((state && config_set(&ml.cfg, "state_dir", state, err) < 0) ||
	    (media && config_set(&ml.cfg, "media_dir", media, err) < 0)) {
		fprintf(stderr, "medialist: %s\n", err);
		return EXIT_USAGE;
	}
	cmd = optind < argc ? argv[optind++] : "list";
	if (!strcmp(cmd, "list") || !strcmp(cmd, "watch")) {
		if (optind != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return cmd[0] == 'l' ? do_list(&ml) : watch_run(&ml);
	}
	if (strcmp(cmd, "info") && strcmp(cmd, "mount") && strcmp(cmd, "unmount") &&
	    strcmp(cmd, "umount") && strcmp(cmd, "eject") && strcmp(cmd, "unlock") &&
	    strcmp(cmd, "lock")) {
		fprintf(stderr, "medialist: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "medialist: %s needs one NAME\n", cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "info"))
		return do_info(&ml, argv[optind]);
	if (!strcmp(cmd, "mount"))
		return actions_mount(&ml, argv[optind]);
	if (!strcmp(cmd, "unlock"))
		return unlock_run(&ml, argv[optind], &ua);
	if (!strcmp(cmd, "lock") ||
	    (!strcmp(cmd, "eject") && unlock_is_crypt(&ml, argv[optind])))
		return unlock_lock(&ml, cmd, argv[optind]); /* eject locks first */
	if (!strcmp(cmd, "eject"))
		return actions_eject(&ml, argv[optind]);
	return actions_unmount(&ml, argv[optind]);
}
