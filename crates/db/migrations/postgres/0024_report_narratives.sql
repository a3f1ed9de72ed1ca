-- The narrative parts of a unit's PAR report for a period (báo cáo CCHC quý, 6 tháng,
-- năm), by section: kept as the unit wrote them and put into the PDF and DOCX.
CREATE TABLE report_narratives (
    unit_code TEXT NOT NULL REFERENCES units (code),
    period TEXT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit_code, period, section)
);
