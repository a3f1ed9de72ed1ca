-- The field (lĩnh vực) a procedure belongs to as the province lists it ("Đầu tư tại Việt
-- Nam", "Thành lập và hoạt động doanh nghiệp"): figures filter by it.
ALTER TABLE procedures ADD COLUMN field TEXT;
