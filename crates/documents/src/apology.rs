//! The apology slip of a late dossier (`parindex_reports::apology` has its words) in the
//! ND30 layout on one A5 page: header with the rule lines under the agency and the motto,
//! the title, the addressee, the body, the signer and the form's legal basis.

use parindex_reports::apology::{ApologySlip, slip_text};

use crate::model::{Block, Document, Paper, Signer};

pub fn slip_document(s: &ApologySlip) -> Document {
    let t = slip_text(s);
    let mut blocks = vec![Block::Centered { text: t.addressee }];
    blocks.extend(t.lines.into_iter().map(|text| Block::Para { text }));
    Document {
        paper: Paper::A5,
        size: 12,
        governing_body: s.governing_body.clone(),
        agency: s.agency.clone(),
        number: t.number,
        place_date: format!(
            "{}, {}",
            s.place,
            parindex_reports::apology::date_words(s.issued)
        ),
        kind: String::new(),
        summary: t.form.title().to_string(),
        blocks,
        recipients: Vec::new(),
        signer: Signer {
            position: vec![t.signer_title],
            hint: "(Ký, ghi rõ họ tên, đóng dấu)".into(),
            name: s.signer_name.trim().to_string(),
        },
        footnote: format!("({})", t.form.basis()),
    }
}
