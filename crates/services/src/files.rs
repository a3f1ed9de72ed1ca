//! Evidence files on disk, outside the web root: content-addressed by SHA-256, written
//! through a temporary file while the upload streams in, typed by content (never by name).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// The kinds of file accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Docx,
    Xlsx,
    Jpeg,
    Png,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }

    /// Opened in the browser rather than downloaded.
    pub fn inline(self) -> bool {
        matches!(self, Kind::Pdf | Kind::Jpeg | Kind::Png)
    }

    pub fn from_content_type(ct: &str) -> Option<Kind> {
        [Kind::Pdf, Kind::Docx, Kind::Xlsx, Kind::Jpeg, Kind::Png]
            .into_iter()
            .find(|k| k.content_type() == ct)
    }
}

/// The kind of a stored file from its first bytes (and, for ZIP, its entries).
pub fn sniff(path: &Path, head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if head.starts_with(b"PK\x03\x04") {
        let file = std::fs::File::open(path).ok()?;
        let mut zip = zip::ZipArchive::new(file).ok()?;
        if zip.by_name("word/document.xml").is_ok() {
            return Some(Kind::Docx);
        }
        if zip.by_name("xl/workbook.xml").is_ok() {
            return Some(Kind::Xlsx);
        }
    }
    None
}

/// A file name safe to show and to send back: no folders, no control characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "tep".to_string()
    } else {
        parindex_domain::text::nfc(&cleaned)
    }
}

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file being received. Dropped without being committed (an error, a client gone, a
/// task ended), its temporary file is removed.
pub struct Incoming {
    path: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    pub size: u64,
    pub head: Vec<u8>,
    /// Stored or removed already: nothing left for `Drop`.
    settled: bool,
}

impl Drop for Incoming {
    fn drop(&mut self) {
        if !self.settled {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_for(&self, sha: &str) -> PathBuf {
        self.root.join(sha.get(..2).unwrap_or("xx")).join(sha)
    }

    pub async fn begin(&self) -> std::io::Result<Incoming> {
        let tmp = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp).await?;
        let path = tmp.join(format!("{}.part", crate::passwords::new_token()));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Incoming {
            path,
            file,
            hasher: Sha256::new(),
            size: 0,
            head: Vec::new(),
            settled: false,
        })
    }

    /// Moves a complete upload to its content address; the same content is stored once.
    pub async fn commit(&self, mut inc: Incoming) -> std::io::Result<(String, PathBuf)> {
        inc.file.flush().await?;
        inc.file.sync_all().await?;
        let sha = hex::encode(std::mem::take(&mut inc.hasher).finalize());
        let target = self.path_for(&sha);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            tokio::fs::remove_file(&inc.path).await?;
        } else {
            tokio::fs::rename(&inc.path, &target).await?;
        }
        inc.settled = true;
        Ok((sha, target))
    }

    pub async fn read(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path_for(sha)).await
    }

    pub fn stored_path(&self, sha: &str) -> PathBuf {
        self.path_for(sha)
    }
}

impl Incoming {
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if self.head.len() < 8 {
            let need = 8 - self.head.len();
            self.head.extend_from_slice(&chunk[..need.min(chunk.len())]);
        }
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk).await
    }

    /// Writes out what is buffered, so that the temporary file can be read (to sniff it).
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush().await
    }

    pub fn temp_path(&self) -> &Path {
        &self.path
    }

    /// Gives up on the upload: nothing stays on disk.
    pub async fn discard(mut self) {
        let _ = tokio::fs::remove_file(&self.path).await;
        self.settled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_dropped_midway_leaves_no_temporary_file() {
        let root = std::env::temp_dir().join(format!("parindex-incoming-{}", std::process::id()));
        let store = FileStore::new(&root);
        let mut inc = store.begin().await.unwrap_or_else(|e| panic!("{e}"));
        let _ = inc.write(b"%PDF-1.4 half").await;
        let path = inc.temp_path().to_path_buf();
        assert!(path.exists());
        drop(inc);
        assert!(!path.exists(), "the temporary file stayed");
        let mut inc = store.begin().await.unwrap_or_else(|e| panic!("{e}"));
        let _ = inc.write(b"%PDF-1.4 whole").await;
        let (_, stored) = store.commit(inc).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(stored.exists(), "a committed file is kept");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn names_lose_their_folders() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\tmp\\Kế hoạch.pdf"), "Kế hoạch.pdf");
        assert_eq!(clean_name("..."), "tep");
        assert_eq!(clean_name("a\u{0}b\"c.pdf"), "abc.pdf");
    }
}
