/* CD-ROM ioctls for the kernel source. Never called on a device that is
 * not an sr* drive. */
#include "optical.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cdrom.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

bool optical_is_drive(const char *kname)
{
	return !strncmp(kname, "sr", 2) && kname[2] >= '0' && kname[2] <= '9';
}

int optical_lock(int fd)
{
	return ioctl(fd, CDROM_LOCKDOOR, 1) < 0 ? -errno : 0;
}

int optical_eject_async(const char *devname)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(devname, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0)
			_exit(1);
		ioctl(fd, CDROM_LOCKDOOR, 0);
		_exit(ioctl(fd, CDROMEJECT, 0) < 0 ? 1 : 0);
	}
	return 0;
}
