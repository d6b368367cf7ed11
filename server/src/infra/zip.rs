//! A ZIP archive written as it goes (a person's data export): entries are stored, not
//! compressed — photos and pictures are compressed already — each with its CRC-32, so any
//! unzip tool reads and checks it. Archives stay within classic ZIP's bounds (4 GiB, 65,535
//! entries); a bigger one is refused rather than written wrong.

use std::io;

use tokio::io::{AsyncWrite, AsyncWriteExt};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version 1.0: stored entries only.
const VERSION: u16 = 10;
/// Bit 11: names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;
/// MS-DOS date of the entries, 1 Jan 2026, 00:00 (an export is dated by its own name).
const DOS_DATE: u16 = ((2026 - 1980) << 9) | (1 << 5) | 1;

struct Entry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

pub struct ZipWriter<W> {
    out: W,
    offset: u64,
    entries: Vec<Entry>,
}

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!("the archive is too big for ZIP: {what}"))
}

impl<W: AsyncWrite + Unpin> ZipWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            offset: 0,
            entries: Vec::new(),
        }
    }

    /// Adds a file named `name` (`/`-separated) holding `data`.
    pub async fn add(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| too_big(name))?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big("offset"))?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big(name))?;
        if self.entries.len() >= usize::from(u16::MAX) {
            return Err(too_big("entries"));
        }
        let crc = crc32fast::hash(data);
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // stored
        header.extend_from_slice(&0u16.to_le_bytes()); // time
        header.extend_from_slice(&DOS_DATE.to_le_bytes());
        header.extend_from_slice(&crc.to_le_bytes());
        header.extend_from_slice(&size.to_le_bytes()); // compressed
        header.extend_from_slice(&size.to_le_bytes()); // uncompressed
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // extra field
        header.extend_from_slice(name.as_bytes());
        self.out.write_all(&header).await?;
        self.out.write_all(data).await?;
        self.offset += header.len() as u64 + u64::from(size);
        self.entries.push(Entry {
            name: name.to_owned(),
            crc,
            size,
            offset,
        });
        Ok(())
    }

    /// Writes the central directory and hands back the writer, flushed.
    pub async fn finish(mut self) -> io::Result<W> {
        let start = u32::try_from(self.offset).map_err(|_| too_big("offset"))?;
        let mut directory = Vec::new();
        for entry in &self.entries {
            directory.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            directory.extend_from_slice(&VERSION.to_le_bytes()); // made by
            directory.extend_from_slice(&VERSION.to_le_bytes()); // needed
            directory.extend_from_slice(&UTF8_NAMES.to_le_bytes());
            directory.extend_from_slice(&0u16.to_le_bytes()); // stored
            directory.extend_from_slice(&0u16.to_le_bytes()); // time
            directory.extend_from_slice(&DOS_DATE.to_le_bytes());
            directory.extend_from_slice(&entry.crc.to_le_bytes());
            directory.extend_from_slice(&entry.size.to_le_bytes());
            directory.extend_from_slice(&entry.size.to_le_bytes());
            // Checked against u16 when the entry was added.
            directory.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            directory.extend_from_slice(&entry.offset.to_le_bytes());
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let size = u32::try_from(directory.len()).map_err(|_| too_big("directory"))?;
        start
            .checked_add(size)
            .ok_or_else(|| too_big("directory"))?;
        // Checked against u16 when each entry was added.
        let count = (self.entries.len() as u16).to_le_bytes();
        directory.extend_from_slice(&END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        directory.extend_from_slice(&[0; 4]); // this disk, the directory's disk
        directory.extend_from_slice(&count);
        directory.extend_from_slice(&count);
        directory.extend_from_slice(&size.to_le_bytes());
        directory.extend_from_slice(&start.to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.out.write_all(&directory).await?;
        self.out.flush().await?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The archive `python3 -m zipfile` reads back, entry by entry, checking every CRC.
    #[tokio::test]
    async fn python_reads_back_what_was_written() {
        let mut zip = ZipWriter::new(Vec::new());
        zip.add("account.json", br#"{"email":"a@example.com"}"#)
            .await
            .expect("add");
        zip.add("photos/ü.png", &[0u8, 1, 2, 255])
            .await
            .expect("add");
        zip.add("empty", b"").await.expect("add");
        let bytes = zip.finish().await.expect("finish");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("export.zip");
        std::fs::write(&path, &bytes).expect("write");
        let script = "import json, sys, zipfile\n\
                      z = zipfile.ZipFile(sys.argv[1])\n\
                      assert z.testzip() is None\n\
                      print(json.dumps({n: list(z.read(n)) for n in z.namelist()}))";
        let output = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read: std::collections::BTreeMap<String, Vec<u8>> =
            serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(read.len(), 3);
        assert_eq!(read["account.json"], br#"{"email":"a@example.com"}"#);
        assert_eq!(read["photos/ü.png"], [0, 1, 2, 255]);
        assert_eq!(read["empty"], b"");
    }
}
