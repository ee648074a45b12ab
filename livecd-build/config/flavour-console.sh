# SPDX-License-Identifier: GPL-2.0-or-later
# flavour-console.sh: the console flavour's own boot-time cuts, sourced by
# scripts/customise.sh (ROOT, cfg and in_chroot at hand). Each spares work
# that only delays the login under emulation and loses nothing a console
# live system for removable media uses; the files it adds are listed in
# config/console-generated.list. (README.md, "Boot time".)

# units with nothing to do on a live system whose journal stays in RAM
# (journal-flush: nothing to flush, and it holds tmpfiles back until the
# journal is up; random-seed: no saved seed, none kept, and it waits for
# the kernel's entropy before sysinit.target), and kernel file systems
# nothing on the image mounts (hugetlbfs, tracefs, configfs, fusectl:
# `sudo mount -t NAME NAME DIR` still works; debugfs stays, mediad reads
# its bdi stats)
in_chroot systemctl mask systemd-journal-flush.service systemd-random-seed.service \
	dev-hugepages.mount sys-kernel-tracing.mount sys-kernel-config.mount \
	modprobe@configfs.service sys-fs-fuse-connections.mount >/dev/null 2>&1
# drivers udev would load for hardware a console system never talks to
install -m 0644 "$cfg/modprobe-console.conf" "$ROOT/etc/modprobe.d/mediad-live-console.conf"

# bash-completion on the first Tab, not at every login (about a CPU-second
# under emulation): the login shell gets a default completion that loads
# the real one and asks bash to complete again (return 124, as
# bash-completion's own loader does). BASH_COMPLETION_VERSINFO=lazy keeps
# ~/.bashrc from loading it eagerly; the real script sets it to its version.
f=$ROOT/etc/profile.d/bash_completion.sh
grep -q '^            \. /usr/share/bash-completion/bash_completion$' "$f" ||
	die "bash-completion's profile.d script changed: no lazy loading"
sed -i 's|^            \. /usr/share/bash-completion/bash_completion$|            BASH_COMPLETION_VERSINFO=lazy\
            _mediad_completion() {\
                unset -f _mediad_completion\
                . /usr/share/bash-completion/bash_completion\
                return 124\
            }\
            complete -D -F _mediad_completion|' "$f"
