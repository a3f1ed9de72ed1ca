#!/usr/bin/env python3
"""Generates data/hcm/: the demo's second story, SAMPLE DATA from end to end.

Since 01/07/2025 Bà Rịa – Vũng Tàu is part of Hồ Chí Minh City and its communes and wards
were merged into new communes, wards and special zones (two-level local government). This
story follows a few of them: a commune-level index of 2024 for the former wards and
communes, the reorganisation of 01/07/2025 as a unit-change file, and the city's
commune-level index of 2025 ranked by index, where a ward has no farming to support
(criterion V.3 not applicable). The unit names echo real places, but which unit merged into
which, every criterion, every point and every score here is made up for the demonstration:
not the official arrangement (check the Standing Committee's resolutions) nor any real
result. Deterministic. Run from the repository root:
    python3 data/tools/gen_commune_story.py
"""
import csv
import random

OUT = "data/hcm"
SAMPLE = "# DỮ LIỆU MẪU — SAMPLE DATA (data/tools/gen_commune_story.py). Tên đơn vị gợi theo địa danh\n# thật nhưng việc sáp nhập, tiêu chí, điểm số đều là dữ liệu minh hoạ, không phải văn bản chính thức.\n"

# (code, name, kind, rule, max, input generator)
FIELDS = [
    ("I", "Công tác chỉ đạo, điều hành cải cách hành chính", [
        ("I.1", "Ban hành kế hoạch CCHC năm đúng thời hạn", 2,
         '{ kind: options, options: [ { label: "Kịp thời", points: 2 }, { label: "Chậm", points: 1 }, { label: "Không ban hành", points: 0 } ] }',
         lambda r: r.choice(["Kịp thời"] * 5 + ["Chậm"])),
        ("I.2", "Mức độ hoàn thành kế hoạch CCHC năm (%)", 4,
         '{ kind: thresholds, bands: [ { min: 100, points: 4 }, { min: 80, points: 2 }, { min: 0, points: 0 } ] }',
         lambda r: r.choice(["100", "100", "95", "85", "78"])),
        ("I.3", "Báo cáo CCHC định kỳ đầy đủ, đúng hạn", 4,
         '{ kind: options, options: [ { label: "Đầy đủ, đúng hạn", points: 4 }, { label: "Chậm", points: 2 }, { label: "Không đầy đủ", points: 0 } ] }',
         lambda r: r.choice(["Đầy đủ, đúng hạn"] * 4 + ["Chậm"])),
        ("I.4", "Nhiệm vụ cấp trên giao được xử lý đúng hạn (%)", 6,
         "{ kind: proportional }",
         lambda r: str(r.choice([100, 98, 96, 92, 88]))),
    ]),
    ("II", "Cải cách thể chế", [
        ("II.1", "Tổ chức thi hành pháp luật tại địa phương", 5, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 5 + ["không đạt"])),
        ("II.2", "Kiểm tra, rà soát văn bản do địa phương ban hành", 5, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 4 + ["không đạt"])),
    ]),
    ("III", "Cải cách thủ tục hành chính", [
        ("III.1", "Công khai thủ tục hành chính đầy đủ, đúng quy định", 6, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 6 + ["không đạt"])),
        ("III.2", "Tỷ lệ hồ sơ giải quyết đúng hạn, trước hạn (%)", 14, "{ kind: proportional }",
         lambda r: str(r.choice([100, 99.5, 98.7, 97.2, 95.4, 93.1]))),
        ("III.3", "Tỷ lệ hồ sơ nộp trực tuyến (%)", 8,
         '{ kind: thresholds, bands: [ { min: 80, points: 8 }, { min: 50, points: 4 }, { min: 0, points: 0 } ] }',
         lambda r: str(r.choice([85, 82, 74, 66, 45]))),
        ("III.4", "Thư xin lỗi khi giải quyết hồ sơ quá hạn", 4, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 4 + ["không đạt"])),
    ]),
    ("IV", "Tổ chức bộ máy, công chức", [
        ("IV.1", "Bố trí công chức đúng vị trí việc làm", 6, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 5 + ["không đạt"])),
        ("IV.2", "Vi phạm kỷ luật, kỷ cương hành chính (số vụ)", 4, "{ kind: deduction, per: 1 }",
         lambda r: str(r.choice([0, 0, 0, 1, 2]))),
    ]),
    ("V", "Cải cách tài chính công", [
        ("V.1", "Thực hiện dự toán ngân sách đúng quy định", 6, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 6 + ["không đạt"])),
        ("V.2", "Quản lý, sử dụng tài sản công", 3, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 5 + ["không đạt"])),
        ("V.3", "Hỗ trợ sản xuất nông nghiệp, chuyển đổi cây trồng, vật nuôi", 3, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 3 + ["không đạt"])),
    ]),
    ("VI", "Xây dựng chính quyền điện tử, chính quyền số", [
        ("VI.1", "Tỷ lệ văn bản điện tử có chữ ký số (%)", 8, "{ kind: proportional }",
         lambda r: str(r.choice([100, 99, 97, 94, 90]))),
        ("VI.2", "Cập nhật hồ sơ trên Hệ thống thông tin giải quyết TTHC", 8, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 5 + ["không đạt"])),
        ("VI.3", "Trang thông tin điện tử cập nhật thường xuyên", 4, "{ kind: binary }",
         lambda r: r.choice(["đạt"] * 4 + ["không đạt"])),
    ]),
]
BONUS = ("VII", "Điểm thưởng", "bonus", [
    ("VII.1", "Sáng kiến, mô hình CCHC được công nhận", 2, "{ kind: binary }",
     lambda r: r.choice(["đạt"] + ["không đạt"] * 3)),
])
PENALTY = ("VIII", "Điểm trừ", "penalty", [
    ("VIII.1", "Phản ánh, kiến nghị có căn cứ về thủ tục hành chính", 2,
     '{ kind: options, options: [ { label: "Không có", points: 0 }, { label: "1–2 phản ánh", points: 1 }, { label: "Từ 3 phản ánh", points: 2 } ] }',
     lambda r: r.choice(["Không có"] * 4 + ["1–2 phản ánh"])),
])

OLD = [  # code, name, kind, successor
    ("VT-P1", "Phường 1 (TP Vũng Tàu)", "phuong", "HCM-VUNGTAU"),
    ("VT-P2", "Phường 2 (TP Vũng Tàu)", "phuong", "HCM-VUNGTAU"),
    ("VT-TN", "Phường Thắng Nhì (TP Vũng Tàu)", "phuong", "HCM-VUNGTAU"),
    ("VT-TT", "Phường Thắng Tam (TP Vũng Tàu)", "phuong", "HCM-TAMTHANG"),
    ("VT-P7", "Phường 7 (TP Vũng Tàu)", "phuong", "HCM-TAMTHANG"),
    ("VT-P8", "Phường 8 (TP Vũng Tàu)", "phuong", "HCM-TAMTHANG"),
    ("LD-LH", "Thị trấn Long Hải (huyện Long Điền)", "thi-tran", "HCM-LONGHAI"),
    ("LD-PH", "Xã Phước Hưng (huyện Long Điền)", "xa", "HCM-LONGHAI"),
    ("LD-TP", "Xã Tam Phước (huyện Long Điền)", "xa", "HCM-LONGDIEN"),
    ("LD-AN", "Xã An Ngãi (huyện Long Điền)", "xa", "HCM-LONGDIEN"),
]
NEW = [  # code, name, kind
    ("HCM-VUNGTAU", "Phường Vũng Tàu", "phuong"),
    ("HCM-TAMTHANG", "Phường Tam Thắng", "phuong"),
    ("HCM-LONGHAI", "Xã Long Hải", "xa"),
    ("HCM-LONGDIEN", "Xã Long Điền", "xa"),
    ("HCM-CONDAO", "Đặc khu Côn Đảo", "dac-khu"),
]


def set_yaml(year, rank_by):
    out = [SAMPLE,
           f"id: hcm-xa-{year}",
           f'name: "Bộ chỉ số CCHC cấp xã năm {year} (dữ liệu mẫu)"',
           f"year: {year}",
           "level: xa",
           "precision: 2",
           "sample: true"]
    if rank_by:
        out.append(f"rank_by: {rank_by}")
    out += ["bands:",
            '  - { label: "Tốt", min: 90 }',
            '  - { label: "Khá", min: 80 }',
            '  - { label: "Trung bình", min: 65 }',
            '  - { label: "Yếu", min: 0 }',
            "nodes:"]
    parts = [(c, n, None, ls) for c, n, ls in FIELDS] + [BONUS, PENALTY]
    for code, name, kind, leaves in parts:
        out.append(f'  - code: "{code}"')
        out.append(f'    name: "{name}"')
        if kind:
            out.append(f"    kind: {kind}")
        out.append("    children:")
        for lc, ln, mx, rule, _ in leaves:
            out.append(f'      - code: "{lc}"')
            out.append(f'        name: "{ln}"')
            out.append(f"        max: {mx}")
            out.append(f"        rule: {rule}")
    return "\n".join(out) + "\n"


def scores(units, seed, na_wards):
    r = random.Random(seed)
    rows = []
    for code, name, kind in units:
        for _, _, _, leaves in [(c, n, None, ls) for c, n, ls in FIELDS] + [BONUS, PENALTY]:
            for lc, _, _, _, gen in leaves:
                value = gen(r)
                note = ""
                if lc == "V.3" and na_wards and kind == "phuong":
                    value, note = "không áp dụng", "Phường không còn đất sản xuất nông nghiệp"
                rows.append([code, name, "xa", lc, "", "", "", value, note])
    return rows


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    open(f"{OUT}/hcm-xa-2024.yaml", "w", encoding="utf-8").write(set_yaml(2024, None))
    open(f"{OUT}/hcm-xa-2025.yaml", "w", encoding="utf-8").write(set_yaml(2025, "index"))
    units = [["UBND-HCM", "UBND Thành phố Hồ Chí Minh", "", "tinh", "", "", "", ""],
             ["CD-HUYEN", "Huyện Côn Đảo", "UBND-BRVT", "huyen", "", "", "", ""]]
    units += [[c, n, "UBND-BRVT", k, "xa", "", "", ""] for c, n, k, _ in OLD]
    write_csv(f"{OUT}/units-before-2025.csv",
              ["code", "name", "parent_code", "kind", "group", "valid_from", "valid_to", "merged_into"], units)
    changes = [["01/07/2025", "sáp nhập", c, s, dict((a, b) for a, b, _ in NEW)[s],
                dict((a, k) for a, _, k in NEW)[s], "xa", "UBND-HCM"] for c, _, _, s in OLD]
    changes.append(["01/07/2025", "sáp nhập", "CD-HUYEN", "HCM-CONDAO", "Đặc khu Côn Đảo", "dac-khu", "xa",
                    "UBND-HCM"])
    write_csv(f"{OUT}/changes-2025-07-01.csv",
              ["effective", "change", "from_code", "to_code", "to_name", "kind", "group", "parent_code"],
              changes)
    header = ["unit_code", "unit_name", "group", "criterion", "self", "appraised", "final", "input", "note"]
    write_csv(f"{OUT}/hcm-xa-2024-scores.csv", header,
              scores([(c, n, k) for c, n, k, _ in OLD], 2024, False))
    write_csv(f"{OUT}/hcm-xa-2025-scores.csv", header, scores(NEW, 2025, True))


if __name__ == "__main__":
    main()
