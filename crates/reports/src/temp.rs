//! Temporary files of an upload: removed when their holder is dropped (on every path,
//! failures included), and swept at start from a folder that a crashed server left behind.

use std::path::{Path, PathBuf};

/// A temporary file removed when dropped.
#[derive(Debug)]
pub struct TempPath(PathBuf);

impl TempPath {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TempPath(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Keeps the file: it is no longer removed.
    pub fn keep(mut self) -> PathBuf {
        std::mem::take(&mut self.0)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Removes every file directly in `dir`, the folder of uploads being received (for the web
/// server: `<file store>/tmp`, which holds `*.part` uploads and their `*.csv` copies). Call
/// it when the server starts, before it accepts uploads: whatever is there then was left by
/// a server that stopped mid-upload. A missing folder is nothing to sweep. Returns how many
/// files were removed.
pub fn sweep_upload_temp(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_path_goes_when_dropped_and_a_sweep_empties_the_folder() {
        let dir = std::env::temp_dir().join(format!("parindex-sweep-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let t = TempPath::new(dir.join("a.csv"));
        std::fs::write(t.path(), "x").unwrap();
        drop(t);
        assert!(!dir.join("a.csv").exists());
        std::fs::write(dir.join("b.part"), "x").unwrap();
        std::fs::write(dir.join("b.csv"), "x").unwrap();
        assert_eq!(sweep_upload_temp(&dir).unwrap(), 2);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "folders stay");
        assert_eq!(sweep_upload_temp(&dir.join("missing")).unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
