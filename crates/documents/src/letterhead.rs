//! Who issues a document, where and when: the parts of the ND30 header that do not come
//! from the data.

use parindex_domain::text::Date;

#[derive(Debug, Clone)]
pub struct Letterhead {
    /// "UBND tỉnh Bà Rịa – Vũng Tàu"; written upper-case.
    pub governing_body: String,
    /// "Sở Nội vụ"; written upper-case and bold.
    pub agency: String,
    /// The agency's short code in the number ("SNV" in "Số: …/BC-SNV").
    pub code: String,
    /// "Bà Rịa – Vũng Tàu".
    pub place: String,
    pub date: Date,
}

impl Letterhead {
    /// "Số:      /BC-SNV": the number is left blank for the clerk who registers the
    /// document; `kind` is the abbreviation of the document's kind (BC for báo cáo).
    pub fn number(&self, kind: &str) -> String {
        let code = self.code.to_uppercase();
        if code.is_empty() {
            format!("Số:        /{kind}")
        } else {
            format!("Số:        /{kind}-{code}")
        }
    }

    pub fn place_date(&self) -> String {
        format!(
            "{}, {}",
            self.place,
            parindex_reports::apology::date_words(self.date)
        )
    }
}
