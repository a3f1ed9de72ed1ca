#!/usr/bin/env python3
"""Generates data/brvt-so-2020-scores.csv: SAMPLE scores for the demo.

Real facts kept: Sở Kế hoạch và Đầu tư (SKHDT) scores 85.620 and ranks 11th of 21, losing
points on I.1.5.1, I.2.1.1, I.2.1.2, I.7.1 and I.8.4; Sở Tài chính is first and Sở Ngoại vụ
last (Quyết định 809/QĐ-UBND ngày 26/03/2021). Every other number is made up, deterministic
(seeded), and exact to the thousandth. Run from the repository root:
    python3 data/tools/gen_demo_scores.py
"""
import csv
import random
from decimal import Decimal as D

import yaml

SET = yaml.safe_load(open("data/brvt-so-2020.yaml", encoding="utf-8"))
UNITS = {r["code"]: r for r in csv.DictReader(open("data/brvt-units.csv", encoding="utf-8"))}

# Sample totals, highest first; SKHDT's is the real one (11th of 21).
ORDER = ["STC", "SNV", "STP", "VPUBND", "SKHCN", "STTTT", "SCT", "SXD", "SYT", "BQLKCN",
         "SKHDT", "SGDDT", "STNMT", "SLDTBXH", "SGTVT", "SNNPTNT", "SVHTT", "SDL", "TTT", "BDT", "SNGV"]
TARGETS = ["92.450", "91.120", "90.275", "89.640", "88.915", "88.300", "87.760", "87.105", "86.480",
           "85.995", "85.620", "85.130", "84.570", "83.905", "83.210", "82.460", "81.735", "80.950",
           "79.880", "78.415", "76.310"]


def leaves(nodes, out):
    for n in nodes:
        if n.get("children"):
            leaves(n["children"], out)
        else:
            out.append(n)
    return out


LEAVES = leaves(SET["nodes"], [])
PART_I = [l for l in LEAVES if l["rule"]["kind"] != "survey"]
SURVEY = [l for l in LEAVES if l["rule"]["kind"] == "survey"]


def d(x):
    return D(str(x))


def levels(leaf):
    """(points, input) pairs a leaf can take below its max, best first."""
    r, mx = leaf["rule"], d(leaf["max"])
    k = r["kind"]
    if k == "binary":
        return [(D(0), "không đạt")]
    if k == "options":
        return [(d(o["points"]), o["label"]) for o in r["options"] if d(o["points"]) < mx]
    if k == "thresholds":
        out = []
        bands = r["bands"]
        for i, b in enumerate(bands):
            if d(b["points"]) < mx:
                # an input inside this band (below the next band up)
                step = d(bands[i - 1]["min"]) - d(b["min"]) if i > 0 else D(3)
                out.append((d(b["points"]), str(d(b["min"]) + step / 2)))
        lowest = d(bands[-1]["min"])
        if lowest > 0 and all(p != 0 for p, _ in out):
            out.append((D(0), str(lowest / 2)))
        return out
    if k == "deduction":
        per = d(r["per"])
        return [(max(mx - per * n, D(0)), str(n)) for n in range(1, 4)]
    if k == "proportional":
        return [(mx * d(x) / 100, str(x)) for x in (95, 90, 85)]
    raise ValueError(k)


def thresholds_full(r):
    top = d(r.get("bands", [{}])[0].get("min", 0))
    return str(top) if top >= 100 else str(top + 2)


def full_input(leaf):
    r, mx = leaf["rule"], leaf["max"]
    k = r["kind"]
    return {"binary": "đạt", "options": r.get("options", [{}])[0].get("label"),
            "thresholds": thresholds_full(r), "deduction": "0",
            "proportional": "100"}[k]


def fmt(x):
    return f"{x.quantize(D('0.001'))}"


def rows_for(code, target, rng):
    name, group = UNITS[code]["name"], UNITS[code]["group"]
    rows = []
    if code == "SKHDT":
        losses = {"I.1.5.1": (D("0.5"), "3"), "I.2.1.1": (D(1), "Chậm tiến độ"),
                  "I.2.1.2": (D(0), "không đạt"), "I.7.1": (D(3), "65"), "I.8.4": (D("0.75"), "87.89")}
        survey = [D("3.55"), D("3.62"), D("3.48"), D("3.70"), D("3.52")]
    else:
        while True:
            losses, part_i = {}, D(80)
            while part_i > target - D("15.5"):
                leaf = rng.choice(PART_I)
                if leaf["code"] in losses:
                    continue
                p, i = rng.choice(levels(leaf))
                losses[leaf["code"]] = (p, i)
                part_i -= d(leaf["max"]) - p
            s = target - part_i
            if D("15.5") <= s <= D(19):
                break
        base = (s / 5).quantize(D("0.001"))
        survey = [base + d(rng.choice([-0.12, -0.05, 0, 0.04, 0.1])) for _ in range(4)]
        survey.append(s - sum(survey))
    notes = {
        "I.1.5.1": "Mẫu: 3 lần chậm cập nhật, xử lý công việc trên phần mềm chỉ đạo điều hành của UBND tỉnh.",
        "I.2.1.1": "Mẫu: văn bản QPPL được giao trình chậm so với kế hoạch.",
        "I.2.1.2": "Mẫu: thiếu bước lấy ý kiến, thẩm định theo Luật ban hành văn bản QPPL.",
        "I.7.1": "Mẫu: tỷ lệ sử dụng thư điện tử công vụ và cập nhật website đạt 65%.",
        "I.8.4": "Mẫu: tỷ lệ hồ sơ đúng hạn năm 2020 là 87,89% (177 hồ sơ trễ hạn), tự tính từ hồ sơ mẫu của Sở.",
    } if code == "SKHDT" else {}
    # SKHDT claimed full points on two of its five criteria; the appraisal cut them.
    over_claimed = {"I.2.1.1", "I.2.1.2"} if code == "SKHDT" else set()
    for leaf in PART_I:
        c = leaf["code"]
        if c in losses:
            p, inp = losses[c]
            if c in over_claimed or (code != "SKHDT" and rng.random() < 0.3):
                rows.append([code, name, group, c, leaf["max"], fmt(p), "", "", notes.get(c, "")])
            else:
                rows.append([code, name, group, c, "", "", "", inp, notes.get(c, "")])
        else:
            rows.append([code, name, group, c, "", "", "", full_input(leaf), ""])
    for leaf, v in zip(SURVEY, survey):
        rows.append([code, name, group, leaf["code"], "", "", "", fmt(v), ""])
    total = sum((losses.get(l["code"], (d(l["max"]), ""))[0] for l in PART_I), D(0)) + sum(survey)
    assert total == target, (code, total, target)
    return rows


def main():
    rng = random.Random(2020)
    out = open("data/brvt-so-2020-scores.csv", "w", encoding="utf-8", newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["unit_code", "unit_name", "group", "criterion", "self", "appraised", "final", "input", "note"])
    for code, t in zip(ORDER, TARGETS):
        for r in rows_for(code, D(t), rng):
            w.writerow(r)


main()
