# SPDX-License-Identifier: GPL-2.0-or-later
# The scenario modules, imported in the order their scenarios run: each
# registers its scenarios with harness.scenario as it is imported.
"""The e2e scenarios, grouped by bus or topic."""

from scenarios import (stale, kernel, usb, disks, removal,  # noqa: F401
                       mountfail, eject, usb_kinds, q35, crypt,
                       crypt_foreign)
