#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Turns the records scripts/bench collects (one JSON line per scenario, broker and
# round: the emqx-cpp-bench result plus the script's own /proc samples) into the
# comparison: each broker's median and spread (min-max) per figure, the ratio
# emqx-cpp / Mosquitto of the medians against the target, a text table, the
# JSON report and a self-contained HTML page with inline SVG charts (no scripts, no
# network). With --smoke it checks the correctness counters instead and exits 1 on a
# violation. Standard library only.
import argparse
import datetime
import html
import json
import statistics
import sys

A, B = "emqx-cpp", "mosquitto"
COLOURS = {A: "#2b6cb0", B: "#c05621"}

# key, label, unit, shown for conn mode
FIGURES = [
    ("msg_per_s", "throughput", "msg/s", False),
    ("mb_per_s", "payload throughput", "MB/s", False),
    ("lat_p50_us", "latency p50", "us", False),
    ("lat_p90_us", "latency p90", "us", False),
    ("lat_p99_us", "latency p99", "us", False),
    ("lat_max_us", "latency max", "us", False),
    ("broker_kb_per_conn", "broker memory per connection", "KiB", True),
    ("broker_peak_rss_mb", "broker peak RSS", "MiB", False),
    ("conn_per_s", "connect rate", "conn/s", True),
    ("broker_cpu_us_per_msg", "broker CPU per message", "us", False),
    ("broker_cpu_pct", "broker CPU", "% of a core", True),
    ("tool_cpu_us_per_msg", "tool CPU per message", "us", False),
    ("tool_cpu_pct", "tool CPU", "% of a core", True),
    ("lost", "lost", "msgs", False),
    ("duplicates", "duplicates", "msgs", False),
    ("reordered", "reordered", "msgs", False),
]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def summarise(records):
    """Per scenario, in the order first seen: figures per broker, ratio, verdict."""
    order, by_id = [], {}
    for r in records:
        if r["id"] not in by_id:
            order.append(r["id"])
            by_id[r["id"]] = []
        by_id[r["id"]].append(r)
    out = []
    for sid in order:
        recs = by_id[sid]
        first = recs[0]
        is_conn = first["result"].get("mode") == "conn"
        s = {"id": sid, "title": first["title"], "metric": first["metric"],
             "better": first["better"], "target": first["target"], "args": first["args"],
             "figures": {}}
        for key, label, unit, for_conn in FIGURES:
            if is_conn and not for_conn:
                continue
            per = {}
            for broker in (A, B):
                st = stats([r["result"].get(key) for r in recs if r["broker"] == broker])
                if st:
                    per[broker] = st
            if per:
                s["figures"][key] = {"label": label, "unit": unit, **per}
        for broker in (A, B):
            runs = [r for r in recs if r["broker"] == broker]
            if runs:
                ticks = [r["proc"]["cpu_ticks"] / r["proc"]["clk_tck"] for r in runs]
                s.setdefault("broker_cpu_whole_scenario_s", {})[broker] = stats(ticks)
        main = s["figures"].get(s["metric"], {})
        if A in main and B in main and main[B]["median"]:
            s["ratio"] = main[A]["median"] / main[B]["median"]
            if s["target"]:
                s["met"] = (s["ratio"] >= s["target"] if s["better"] == "higher"
                            else s["ratio"] <= s["target"])
        out.append(s)
    return out


def table(summary):
    lines = []
    head = f"{'':5} {'figure':30} {A + ' median (min-max)':34} {B + ' median (min-max)':34} {'ratio':>7}"
    lines.append(head)
    lines.append("-" * len(head))

    def cell(st):
        if not st:
            return "-"
        return f"{fmt(st['median'])} ({fmt(st['min'])}-{fmt(st['max'])})"

    for s in summary:
        lines.append(f"{s['id']:5} {s['title']}")
        for key, fig in s["figures"].items():
            a, b = fig.get(A), fig.get(B)
            ratio = ""
            if a and b and b["median"]:
                ratio = f"{a['median'] / b['median']:.2f}"
            mark = ""
            if key == s["metric"] and "met" in s:
                mark = f"  target {'>=' if s['better'] == 'higher' else '<='} {s['target']}: " + \
                    ("met" if s["met"] else "MISSED")
            star = "*" if key == s["metric"] else " "
            lines.append(f"{'':4}{star} {fig['label'] + ' (' + fig['unit'] + ')':30} "
                         f"{cell(a):34} {cell(b):34} {ratio:>7}{mark}")
    return "\n".join(lines)


def progress_line(path):
    r = load(path)[-1]
    res = r["result"]
    metric = r["metric"]
    extra = ""
    if res.get("mode") != "conn":
        extra = (f", p50/p99 {fmt(res.get('lat_p50_us'))}/{fmt(res.get('lat_p99_us'))} us"
                 f", lost {res.get('lost')}, dup {res.get('duplicates')}")
    print(f"  round {r['round']} {r['id']:4} {r['broker']:10} {metric} = {fmt(res.get(metric))}"
          f"{extra}, broker {fmt(res.get('broker_cpu_pct'))} % / tool "
          f"{fmt(res.get('tool_cpu_pct'))} % CPU ({r.get('wall_ms', 0) / 1000:.1f} s)", flush=True)


# Peak broker RSS each scenario must stay under (MiB): the 64 KiB open-loop scenario is
# the one that used to grow without bound.
RSS_BUDGET_MB = {"S7o": 256}


def smoke_check(records):
    problems = []
    for r in records:
        res, tag = r["result"], f"{r['id']} ({r['broker']}, round {r['round']})"
        if r.get("broker_exit"):
            problems.append(f"{tag}: the broker exited with status {r['broker_exit']} "
                            "(crashed, or did not stop on SIGTERM)")
        if not res:
            problems.append(f"{tag}: no result from emqx-cpp-bench")
            continue
        if res.get("connect_failed") or res.get("connected") != res.get("connections"):
            problems.append(f"{tag}: {res.get('connected')}/{res.get('connections')} connected")
        if res.get("lost_connections"):
            problems.append(f"{tag}: {res['lost_connections']} connections dropped by the broker")
        if res.get("mode") == "conn":
            continue
        if not res.get("received"):
            problems.append(f"{tag}: nothing was delivered")
        if res.get("protocol_errors") or res.get("unexpected_acks"):
            problems.append(f"{tag}: protocol errors {res.get('protocol_errors')}, "
                            f"unexpected acks {res.get('unexpected_acks')}")
        if res.get("qos", 0) >= 1 and (res.get("lost") or not res.get("drained")):
            problems.append(f"{tag}: QoS {res['qos']} lost {res.get('lost')} messages"
                            f"{'' if res.get('drained') else ' (not drained)'}")
        budget = RSS_BUDGET_MB.get(r["id"])
        if budget and r["broker"] == "emqx-cpp" and (res.get("broker_peak_rss_mb") or 0) > budget:
            problems.append(f"{tag}: broker peak RSS {res['broker_peak_rss_mb']} MiB over "
                            f"the {budget} MiB budget")
        if res.get("qos", 0) == 2 and res.get("duplicates"):
            problems.append(f"{tag}: QoS 2 delivered {res['duplicates']} duplicates")
    return problems


def svg_bars(title, unit, series, width=420, bar_h=26):
    """Horizontal bars: median, a min-max whisker and a dot per round, per entry."""
    rows = [(name, st, colour) for name, st, colour in series if st]
    if not rows:
        return ""
    top = max(st["max"] for _, st, _ in rows) or 1
    left, right = 150, 70
    plot = width - left - right
    height = 24 + len(rows) * (bar_h + 8) + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="0" y="14" font-size="12" font-weight="bold">{html.escape(title)} '
             f'({html.escape(unit)})</text>']
    y = 24
    for name, st, colour in rows:
        def x(v):
            return left + plot * (v / top)
        parts.append(f'<text x="{left - 6}" y="{y + bar_h * 0.65:.0f}" font-size="12" '
                     f'text-anchor="end">{html.escape(name)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{max(1.0, x(st["median"]) - left):.1f}" '
                     f'height="{bar_h}" fill="{colour}" opacity="0.85"/>')
        mid = y + bar_h / 2
        parts.append(f'<line x1="{x(st["min"]):.1f}" x2="{x(st["max"]):.1f}" y1="{mid}" '
                     f'y2="{mid}" stroke="#000" stroke-width="1.5"/>')
        for v in st["runs"]:
            parts.append(f'<circle cx="{x(v):.1f}" cy="{mid}" r="2.5" fill="#fff" stroke="#000"/>')
        parts.append(f'<text x="{x(st["max"]) + 6:.1f}" y="{y + bar_h * 0.65:.0f}" '
                     f'font-size="12">{fmt(st["median"])}</text>')
        y += bar_h + 8
    parts.append("</svg>")
    return "".join(parts)


def cpu_pair(s, broker):
    def med(key):
        return s["figures"].get(key, {}).get(broker, {}).get("median")
    return f"{fmt(med('broker_cpu_pct'))} / {fmt(med('tool_cpu_pct'))}"


def write_html(path, summary, meta):
    esc = html.escape
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>emqx-cpp vs Mosquitto, {esc(meta['date'])}</title>",
           "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
           "table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}"
           "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
           "td:first-child,th:first-child,table.summary td:nth-child(2){text-align:left}.met{color:#276749;font-weight:bold}"
           ".missed{color:#c53030;font-weight:bold}.charts{display:flex;flex-wrap:wrap;gap:16px}"
           "code{font-size:12px}</style></head><body>",
           f"<h1>emqx-cpp vs Mosquitto, {esc(meta['date'])}</h1>",
           f"<p>{esc(meta['machine'])}<br>{esc(meta['versions'])}<br>{meta['rounds']} rounds "
           f"of {meta['duration']} s per scenario, brokers alternating; medians, min-max "
           "whiskers and one dot per round. Ratio = emqx-cpp / Mosquitto of the medians.</p>",
           "<h2>Summary</h2><table class='summary'><tr><th>scenario</th><th>figure</th><th>emqx-cpp</th>"
           "<th>Mosquitto</th><th>ratio</th><th>target</th><th>CPU % broker / tool, "
           "emqx-cpp</th><th>CPU % broker / tool, Mosquitto</th></tr>"]
    for s in summary:
        fig = s["figures"].get(s["metric"], {})
        verdict = ""
        if "met" in s:
            verdict = (f"<span class='{'met' if s['met'] else 'missed'}'>"
                       f"{'>=' if s['better'] == 'higher' else '<='} {s['target']} "
                       f"{'met' if s['met'] else 'missed'}</span>")
        out.append(f"<tr><td>{esc(s['id'])} {esc(s['title'])}</td>"
                   f"<td>{esc(fig.get('label', s['metric']))} ({esc(fig.get('unit', ''))})</td>"
                   f"<td>{fmt(fig.get(A, {}).get('median'))}</td>"
                   f"<td>{fmt(fig.get(B, {}).get('median'))}</td>"
                   f"<td>{'-' if 'ratio' not in s else format(s['ratio'], '.2f')}</td>"
                   f"<td>{verdict}</td><td>{cpu_pair(s, A)}</td><td>{cpu_pair(s, B)}</td></tr>")
    out.append("</table>")
    for s in summary:
        out.append(f"<h2>{esc(s['id'])}: {esc(s['title'])}</h2>"
                   f"<p><code>emqx-cpp-bench {esc(s['args'])}</code></p><div class='charts'>")
        main = s["figures"].get(s["metric"])
        if main:
            out.append(svg_bars(main["label"], main["unit"],
                                [(b, main.get(b), COLOURS[b]) for b in (A, B)]))
        cpu = []
        for key, what in (("broker_cpu_pct", "broker"), ("tool_cpu_pct", "tool")):
            fig = s["figures"].get(key, {})
            for b in (A, B):
                shade = COLOURS[b] if what == "broker" else "#718096"
                cpu.append((f"{b}: {what}", fig.get(b), shade))
        out.append(svg_bars("CPU, broker and tool", "% of a core", cpu))
        out.append("</div><table><tr><th>figure</th><th>emqx-cpp median (min-max)</th>"
                   "<th>Mosquitto median (min-max)</th><th>ratio</th></tr>")
        for key, fig in s["figures"].items():
            a, b = fig.get(A), fig.get(B)
            cell = lambda st: "-" if not st else f"{fmt(st['median'])} ({fmt(st['min'])}-{fmt(st['max'])})"
            ratio = f"{a['median'] / b['median']:.2f}" if a and b and b["median"] else "-"
            out.append(f"<tr><td>{esc(fig['label'])} ({esc(fig['unit'])})</td><td>{cell(a)}</td>"
                       f"<td>{cell(b)}</td><td>{ratio}</td></tr>")
        out.append("</table>")
    out.append("<h2>Mosquitto configuration</h2><pre>" + esc(meta["mosquitto_conf"]) + "</pre>")
    out.append("</body></html>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--line", help="print a progress line for the last record of this file")
    ap.add_argument("--results")
    ap.add_argument("--machine", default="")
    ap.add_argument("--versions", default="")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--mosquitto-conf", default="")
    ap.add_argument("--json")
    ap.add_argument("--html")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.line:
        progress_line(args.line)
        return 0
    records = load(args.results)
    summary = summarise(records)
    print()
    print(table(summary))
    problems = smoke_check(records)
    if args.smoke:
        for p in problems:
            print(f"bench: smoke: {p}", file=sys.stderr)
        return 1 if problems else 0
    # A full run reports the same correctness findings without failing on them: a
    # broker that loses QoS 1 messages under load is a result, not a broken run.
    for p in problems:
        print(f"bench: finding: {p}")
    meta = {"date": datetime.date.today().isoformat(), "machine": args.machine,
            "versions": args.versions, "rounds": args.rounds, "duration": args.duration,
            "mosquitto_conf": args.mosquitto_conf}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**meta, "scenarios": summary, "findings": problems, "records": records}, f,
                  indent=1)
            f.write("\n")
    if args.html:
        write_html(args.html, summary, meta)
    print(f"\nbench: wrote {args.json} and {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
