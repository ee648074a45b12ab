# SPDX-License-Identifier: GPL-2.0-or-later
# The bench's report: the detailed tables of each phase, and issue 20's
# table (every figure beside its goal, ratios of the same run). Formats
# results.json only: never measures, never touches the machine.
"""Tables of tests/bench from its results."""


def _ms(s):
    return f"{s['median_ms']:.2f} ms" if s and s.get("n") else "-"


def _x(v):
    return "-" if v is None else f"{v:.2f}x"


def _row(rows, what, a, ratio_=None, note=""):
    if not a or not a.get("n"):
        return
    rows.append(f"  {what:<46} {a['median_ms']:>9.3f} {a['p95_ms']:>9.3f} {a['n']:>5}"
                f"  {'' if ratio_ is None else f'{ratio_:.2f}x':>7} {note}")


HDR = f"  {'':<46} {'median ms':>9} {'p95 ms':>9} {'n':>5}  {'ratio':>7}"


def details(R, smoke):
    L = ["", "mediad bench" + (" (smoke: few repetitions)" if smoke else ""), ""]
    P = R.get("plug_to_visible")
    if P:
        L += ["1. plug to visible (attach returned -> name visible; the same attach's "
              "udevd event beside)", HDR]
        rows = []
        for side, what in (("mediad_udev", "mediad, udev source"),
                           ("mediad_kernel", "mediad, kernel source"),
                           ("mediad_kernel_after_idle",
                            f"mediad, kernel source, after {P.get('idle_ms', 0) / 1000:g} s idle")):
            s = P.get(side)
            if not s:
                continue
            _row(rows, what + " (link)", s["link"], s["ratio_to_udevd"],
                 f"vs udevd (per attach {_x(s['median_ratio_per_attach'])})")
            _row(rows, "  udevd's processed event, same attaches", s["udevd"])
            _row(rows, "  kernel uevent, same attaches", s["kernel_uevent"])
        _row(rows, "udisks2 (D-Bus IdLabel)", P.get("udisks2"))
        L += rows
    F = R.get("first_access")
    if F and "ext4" in F:
        for fs in ("ext4", "xfs"):
            L += ["", f"2. first access, {fs} (ratio: against mount(8))", HDR]
            rows = []
            for s, what in (("automount_auto_media", "automount + auto.media (stat a file)"),
                            ("automount_shell_map", "automount + shell map (stat a file)"),
                            ("mount8", "mount(8)"),
                            ("mount8_mount_mediad", "mount(8) -t mediad.TYPE (mount.mediad)"),
                            ("udisksctl_mount", "udisksctl mount")):
                _row(rows, what, F[fs][s], F[fs][s]["ratio_to_mount8"])
            st = F[fs].get("steps", {})
            _row(rows, "step: auto.media KEY", st.get("map_auto_media"))
            _row(rows, "step: mount.mediad run directly", st.get("mount_mediad_direct"))
            _row(rows, "step: mount(2)", st.get("mount2"))
            L += rows
            if "shares_ms" in F[fs]:
                tot = F[fs]["automount_auto_media"]["median_ms"]
                L.append("  where automount + auto.media goes: " + "; ".join(
                    f"{k} {v:.2f} ms ({v / tot:.0%})" for k, v in F[fs]["shares_ms"].items()))
                L.append(f"  processes on the path (besides automount): "
                         f"{', '.join(st.get('processes', []))}")
        for a in F.get("anomalies", []):
            L.append(f"  FINDING: {a['medium']} ({a['device']}) {a['what']}")
    Lk = R.get("lookup")
    if Lk:
        L += ["", "3. lookup cost (the map alone, fork+exec+wait)", HDR]
        rows = []
        _row(rows, "auto.media KEY", Lk["auto_media"], Lk["ratio_auto_media_to_shell_map"],
             "vs shell map")
        _row(rows, "shell map KEY", Lk["shell_map"])
        _row(rows, "/bin/true (fork/exec floor)", Lk["fork_exec_floor_true"])
        L += rows
    Fl = R.get("flush")
    if Fl:
        L += ["", "3b. flush before unmount (medialist unmount's syncfs, ext4 on a loop device)",
              HDR]
        rows = []
        for mib in (8, 64):
            m = Fl.get(f"{mib}MiB")
            if m:
                _row(rows, f"{mib} MiB dirty: syncfs", m, None,
                     f"{m['bytes_median']} bytes written, {m['MiB_per_s']} MiB/s")
                _row(rows, f"{mib} MiB dirty: whole medialist unmount", m["unmount_wall"])
        L += rows
        for src, p in Fl.get("poll", {}).items():
            L.append(f"  dirty-data poll, {src}: mediad {p['cpu_us_per_s_mounted']} us CPU/s "
                     f"with a medium mounted rw, {p['cpu_us_per_s_unmounted']} us/s with none "
                     f"({p['us_per_poll']} us a poll)")
    E = R.get("expiry")
    if E:
        L += ["", f"3c. idle expiry (expire_timeout {E['expire_timeout_s']} s, flush_idle 1 s)",
              HDR]
        rows = []
        _row(rows, "read, left alone: until unmounted", E["read_to_unmount"], None,
             f"{E['flushes_after_reads']} flushes")
        _row(rows, "4 MiB written, left alone: until unmounted", E["write_to_unmount"], None,
             f"flushes per write {E.get('flushes_per_write')}, "
             f"{E['flushes_of_0_bytes']} of 0 bytes")
        _row(rows, "  from mediad's flush to the unmount", E["flush_to_unmount"])
        L += rows
    C = R.get("coldplug")
    if C and any(k.isdigit() for k in C):
        L += ["", "4. coldplug (mediad exec -> all published)", HDR]
        rows = []
        for size in sorted((k for k in C if k.isdigit()), key=int):
            for src in ("udev", "kernel"):
                _row(rows, f"{size} devices, {src} source", C[size][src], None,
                     f"{C[src + '_per_device_ms'][size]:.2f} ms a device")
        L += rows
        for src in ("udev", "kernel"):
            L.append(f"  {src}: {C[src + '_growth']}")
    S = R.get("storm")
    if S:
        L += ["", "5. storm (8 sticks in 4 slots, attach/detach cycles, lookups beside)"]
        for src, s in S.items():
            L.append(f"  {src}: {s['cycles']} cycles in {s['attach_detach_ops_s']} s, state "
                     f"converged after {s['until_state_converged_s']} s = {s['events_per_s']} "
                     f"attach+detach/s; final state equals reality: "
                     f"{'yes' if s['final_state_equals_reality'] else 'NO'}; "
                     f"{s['lookups_per_s']} lookups/s beside; mediad CPU {s['mediad_cpu_s']} s"
                     + (f"; udisksd caught up {s['udisksd_caught_up_s']}"
                        if isinstance(s.get("udisksd_caught_up_s"), str) else
                        f"; udisksd caught up after {s['udisksd_caught_up_s']} s"
                        if "udisksd_caught_up_s" in s else ""))
            L.append(f"    RSS {s['rss_idle_kib']} KiB idle, {s['rss_peak_kib']} at the peak, "
                     f"{s['rss_after_kib']} after; every {s['sample_every']} cycles: "
                     + " ".join(str(r) for _, r in s["rss_samples_kib"]))
    Fp = R.get("footprint")
    if Fp:
        L += ["", "6. footprint (RSS / PSS / anonymous, KiB)"]
        for k, v in Fp.items():
            if isinstance(v, dict) and "rss_kib" in v:
                extra = f" ({v['media_published']} media published)" \
                    if "media_published" in v else ""
                if "ratio_to_floor" in v:
                    extra += f", {v['ratio_to_floor']:.2f}x the floor"
                L.append(f"  {k:<44} {v['rss_kib']:>6} / {v['pss_kib']:<6} / "
                         f"{v.get('anon_kib', '-'):<5}{extra}")
        if "stripped_bytes" in Fp:
            L.append("  stripped bytes: " + ", ".join(f"{k} {v}" for k, v in
                                                      Fp["stripped_bytes"].items()))
            for k, v in Fp["shared_libraries"].items():
                if not k.endswith("_closure"):
                    L.append(f"  {k} links: {' '.join(v)} "
                             f"({Fp['shared_libraries'][k + '_closure']} libraries loaded in all)")
    m = R["machine"]
    L += ["", f"machine: {m['cpus']} CPUs, {m['model']}, kernel {m['kernel']}, load "
          f"{m.get('load', '?')} at the start, {m.get('udevd_processes', '?')} udevd daemons "
          f"running; {R.get('elapsed_s')} s", ""]
    return "\n".join(L)


def _goal(ok):
    return "met" if ok else "NOT met"


def issue_table(R):
    """Issue 20's table: each figure of this run beside its goal."""
    rows = []
    S, P, F = R.get("storm", {}), R.get("plug_to_visible", {}), R.get("first_access", {})
    C, Fp, E = R.get("coldplug", {}), R.get("footprint", {}), R.get("expiry", {})
    for src in ("kernel", "udev"):
        s = S.get(src)
        if s:
            g = s.get("growth_kib_per_1000_cycles")
            back = s["rss_after_to_idle"] - 1
            ok = back <= 0.10 and (g is None or g * 10 <= 64)
            rows.append((f"RSS across a storm, {src} source",
                         f"{s['rss_idle_kib']:,} KiB idle -> {s['rss_peak_kib']:,} peak -> "
                         f"{s['rss_after_kib']:,} after {s['cycles']:,} cycles ({back:+.1%}); "
                         + (f"{g} KiB per 1,000 cycles after warm-up" if g is not None else
                            "too few cycles to tell growth"),
                         "within 10% of idle; <= 64 KiB per 10,000 cycles", _goal(ok)))
    for side, src, lim in (("mediad_kernel", "kernel", 0.5), ("mediad_udev", "udev", 1.05)):
        s = P.get(side)
        if s:
            r = s["ratio_to_udevd"]
            rows.append((f"plug -> link, {src} source",
                         f"{_ms(s['link'])} = {_x(r)} udevd's {_ms(s['udevd'])} (per attach "
                         f"{_x(s['median_ratio_per_attach'])})",
                         f"<= {lim}x udevd's processed event",
                         _goal(r is not None and r <= lim)))
    s = P.get("mediad_kernel_after_idle")
    if s:
        rows.append((f"plug -> link, kernel source, after {P['idle_ms'] / 1000:g} s idle",
                     f"{_ms(s['link'])} = {_x(s['ratio_to_udevd'])} udevd's {_ms(s['udevd'])}",
                     "(same goal)", _goal(s["ratio_to_udevd"] is not None and
                                          s["ratio_to_udevd"] <= 0.5)))
    for fs in ("ext4", "xfs"):
        if fs in F:
            a = F[fs]["automount_auto_media"]
            r = a.get("ratio_to_mount8")
            rows.append((f"first access, {fs}", f"{_ms(a)} = {_x(r)} mount(8)'s "
                         f"{_ms(F[fs]['mount8'])}; {len(F[fs].get('steps', {}).get('processes', []))}"
                         " processes besides automount", "<= 1.3x mount(8)",
                         _goal(r is not None and r <= 1.3)))
    if "256" in C:
        u, k = C["256"]["udev"], C["256"]["kernel"]
        rows.append(("coldplug, 256 media", f"{_ms(u)} udev, {_ms(k)} kernel; per extra device "
                     f"{C['udev_ms_per_extra_device']} udev, {C['kernel_ms_per_extra_device']} "
                     "kernel ms", "<= 250 ms both; per-device cost flat",
                     _goal(u["median_ms"] <= 250 and k["median_ms"] <= 250 and
                           "worse" not in C["udev_growth"] + C["kernel_growth"])))
    for src in ("udev", "kernel"):
        m = Fp.get(f"mediad_{src}_rss_64_media")
        fl = Fp.get(f"floor_{src}")
        if m and fl:
            r = m["rss_kib"] / fl["rss_kib"]
            rows.append((f"RSS with 64 media, {src} source",
                         f"{m['rss_kib']:,} KiB = {r:.2f}x the floor ({fl['rss_kib']:,} KiB); "
                         f"anonymous {m.get('anon_kib', '-')} vs {fl.get('anon_kib', '-')} KiB",
                         "<= 1.10x the floor", _goal(r <= 1.10)))
    if E:
        rd, wr = E["read_to_unmount"], E["write_to_unmount"]
        lim = E["expire_timeout_s"] + 1
        fl = E["flush_to_unmount"]
        rows.append(("idle expiry (expire_timeout 3 s), from the last use",
                     f"read: unmounted after {_ms(rd)} ({rd.get('p95_ms', 0) / 1000:.2f} s p95), "
                     f"{E['flushes_after_reads']} flushes; 4 MiB written: after {_ms(wr)} "
                     f"({wr.get('p95_ms', 0) / 1000:.2f} s p95), flushes a write "
                     f"{E.get('flushes_per_write')}"
                     + (f", {_ms(fl)} from the flush" if fl.get("n") else "")
                     + f"; {E['flushes_of_0_bytes']} flushes of 0 bytes",
                     f"<= {lim} s; no flush of 0 bytes",
                     _goal(bool(rd.get("n")) and bool(wr.get("n")) and
                           rd["p95_ms"] <= lim * 1000 and wr["p95_ms"] <= lim * 1000 and
                           E["flushes_of_0_bytes"] == 0)))
    w = [max(len(r[i]) for r in rows) if rows else 0 for i in range(4)]
    L = ["", "issue 20: the figures of this run beside their goals", ""]
    L += [f"| {'figure':<{w[0]}} | {'this run':<{w[1]}} | {'goal':<{w[2]}} | {'':<{w[3]}} |",
          f"|{'-' * (w[0] + 2)}|{'-' * (w[1] + 2)}|{'-' * (w[2] + 2)}|{'-' * (w[3] + 2)}|"]
    L += [f"| {a:<{w[0]}} | {b:<{w[1]}} | {c:<{w[2]}} | {d:<{w[3]}} |" for a, b, c, d in rows]
    return "\n".join(L + [""])
