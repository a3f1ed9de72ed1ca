//! Official documents (Nghị định 30/2020/NĐ-CP layout) as DOCX and PDF from one model.

pub mod apology;
pub mod brief;
pub mod docx;
pub mod model;
pub mod pdf;
pub mod period_report;
pub mod readback;

pub use model::{Align, Block, Document, Paper, Row, Signer, Table};

/// The two formats a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// The document in the given format.
pub fn render(doc: &Document, format: Format) -> Result<Vec<u8>, String> {
    match format {
        Format::Pdf => pdf::to_pdf(doc),
        Format::Docx => docx::to_docx(doc),
    }
}

pub mod letterhead;
pub mod ranking;
pub mod self_assessment;
pub mod unit_report;

pub use letterhead::Letterhead;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
