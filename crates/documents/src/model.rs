//! One document model for every official document parindex writes, laid out after
//! Nghị định 30/2020/NĐ-CP (Phụ lục I): the two-column header (governing body and agency |
//! national name and motto, each with its rule line), the number and the place-date line,
//! the kind and summary of the document, the body, the recipients and the signature block.
//! The same value is written as DOCX (`crate::docx`) and as PDF (`crate::pdf`), so both
//! formats always carry the same words and figures.

use serde::Serialize;

/// The sheet a document is printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    A4,
    /// A4 turned sideways, for wide appendices.
    A4Landscape,
    A5,
}

/// An official document.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub paper: Paper,
    /// Body text size in points (ND30: 13 to 14).
    pub size: u32,
    /// The governing body, first line of the agency block ("UBND TỈNH BÀ RỊA – VŨNG TÀU");
    /// may be empty.
    pub governing_body: String,
    /// The issuing agency, bold, with the rule line under it.
    pub agency: String,
    /// "Số: …/BC-SKHDT".
    pub number: String,
    /// "Bà Rịa – Vũng Tàu, ngày 02 tháng 12 năm 2026".
    pub place_date: String,
    /// The kind of document ("BÁO CÁO"); empty for a letter.
    pub kind: String,
    /// The summary under the kind (trích yếu), or the subject line of a letter.
    pub summary: String,
    pub blocks: Vec<Block>,
    /// "Nơi nhận" list; empty leaves the block out.
    pub recipients: Vec<String>,
    pub signer: Signer,
    /// A line in italics under everything (the legal basis of a form); may be empty.
    pub footnote: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signer {
    /// "GIÁM ĐỐC", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC": each line upper-case and bold.
    pub position: Vec<String>,
    /// The hint between position and name ("(Ký, ghi rõ họ tên, đóng dấu)"); may be empty.
    pub hint: String,
    pub name: String,
}

/// A piece of the body.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Block {
    /// A bold heading ("I. KẾT QUẢ …"), not indented.
    Heading {
        text: String,
    },
    /// A paragraph of running text, justified, first line indented.
    Para {
        text: String,
    },
    /// A centred line (the addressee "Kính gửi: …").
    Centered {
        text: String,
    },
    Table(Table),
}

/// A table whose heading row repeats on every page.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Relative widths of the columns.
    pub widths: Vec<u32>,
    /// Per column: "left", "center" or "right".
    pub align: Vec<Align>,
    pub head: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Row {
    /// Ordinary cells; `strong` sets the row in bold (a field's subtotal).
    Cells { cells: Vec<String>, strong: bool },
    /// One cell across the table, in bold (a group of units).
    Group { text: String },
}

impl Document {
    /// Every text of the document in reading order, as written (the governing body, the
    /// agency and the signer's position upper-case): what a reader of either format must
    /// find. Tests compare it with what comes back out of the files.
    pub fn texts(&self) -> Vec<String> {
        let mut out = vec![
            self.governing_body.to_uppercase(),
            self.agency.to_uppercase(),
            self.number.clone(),
            self.place_date.clone(),
            self.kind.clone(),
            self.summary.clone(),
        ];
        for b in &self.blocks {
            match b {
                Block::Heading { text } | Block::Para { text } | Block::Centered { text } => {
                    out.push(text.clone());
                }
                Block::Table(t) => {
                    out.extend(t.head.iter().cloned());
                    for r in &t.rows {
                        match r {
                            Row::Cells { cells, .. } => out.extend(cells.iter().cloned()),
                            Row::Group { text } => out.push(text.clone()),
                        }
                    }
                }
            }
        }
        out.extend(self.recipients.iter().cloned());
        out.extend(self.signer.position.iter().map(|p| p.to_uppercase()));
        out.push(self.signer.name.clone());
        out.retain(|s| !s.is_empty());
        out
    }
}
