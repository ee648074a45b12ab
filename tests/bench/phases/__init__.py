# SPDX-License-Identifier: GPL-2.0-or-later
# The bench's phases, one module each (tests/bench/bench.py runs them in
# order); each measures one thing with tests/bench/harness.py and writes
# its figures into the results it is given, nothing else.
"""Phases of tests/bench."""
