//! A document as PDF, typeset in-process by Typst with the shipped Liberation Serif
//! (metric-compatible with Times New Roman, SIL Open Font License, `fonts/`): no browser,
//! no office suite, the same bytes on every machine. The layout is `typst/nd30.typ`; the
//! document reaches it as JSON, so no user text is ever read as markup.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World};
use typst_layout::PagedDocument;

use crate::model::Document;

const TEMPLATE: &str = include_str!("../typst/nd30.typ");

static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
    include_bytes!("../fonts/LiberationSerif-Italic.ttf"),
    include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf"),
];

/// What every compilation shares: the standard library, the fonts and their book.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// One compilation: the template as main file and the document as `/doc.json`.
struct DocWorld {
    main: FileId,
    data_id: FileId,
    source: Source,
    data: Bytes,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// The document as PDF bytes (A4 or A5, fonts embedded as subsets).
pub fn to_pdf(doc: &Document) -> Result<Vec<u8>, String> {
    let data = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
    let (Some(main), Some(data_id)) = (file_id("/main.typ"), file_id("/doc.json")) else {
        return Err("đường dẫn nội bộ không hợp lệ".into());
    };
    let world = DocWorld {
        main,
        data_id,
        source: Source::new(main, TEMPLATE.to_string()),
        data: Bytes::new(data),
    };
    let compiled = typst::compile::<PagedDocument>(&world).output;
    let out = compiled.and_then(|paged| {
        let options = typst_pdf::PdfOptions {
            ident: Smart::Custom("parindex".into()),
            creator: Smart::Custom(Some("parindex".into())),
            ..typst_pdf::PdfOptions::default()
        };
        typst_pdf::pdf(&paged, &options)
    });
    // Typst memoises across compilations; the layout of a long table is hundreds of MiB
    // that no later document reuses, so nothing is kept once a document is written.
    typst::comemo::evict(0);
    out.map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}
