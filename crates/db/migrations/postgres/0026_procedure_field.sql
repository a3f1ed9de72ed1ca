-- The field (lĩnh vực) a procedure belongs to as the province lists it ("Đầu tư tại Việt
-- Nam", "Thành lập và hoạt động doanh nghiệp"): figures filter by it.
ALTER TABLE procedures ADD COLUMN field TEXT;
-- How the legal limit is counted: working_days (the default), calendar_days, working_hours.
ALTER TABLE procedures ADD COLUMN limit_unit TEXT;
