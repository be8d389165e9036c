//! Input sources: a regular file through a memory map, anything else (standard input, a
//! pipe, a device) as a stream.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use memmap2::Mmap;

use crate::error::{ErrorKind, JobError};

/// An opened input.
#[derive(Debug)]
pub enum Source {
    Mapped(Mapped),
    Stream(File),
}

/// A memory-mapped regular file (or an empty one, which cannot be mapped).
#[derive(Debug)]
pub struct Mapped {
    map: Option<Mmap>,
}

impl Mapped {
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

/// Opens `path`: regular files are mapped, other files are read as streams.
pub fn open(path: &Path) -> Result<Source, JobError> {
    let shown = path.display();
    let file = File::open(path)
        .map_err(|e| JobError::io(ErrorKind::Input, &format!("cannot open {shown}"), &e))?;
    let meta = file
        .metadata()
        .map_err(|e| JobError::io(ErrorKind::Input, &format!("cannot read {shown}"), &e))?;
    if meta.is_dir() {
        return Err(JobError::new(
            ErrorKind::Input,
            None,
            format!("cannot read {shown}: it is a directory"),
        ));
    }
    if !meta.is_file() {
        return Ok(Source::Stream(file));
    }
    if meta.len() == 0 {
        return Ok(Source::Mapped(Mapped { map: None }));
    }
    // SAFETY: the map is only read. If another process truncates the file while it is
    // mapped, reads past the new end fault (SIGBUS); that is the documented cost of mapping
    // a file, and the input is not expected to change during a job.
    let map = unsafe { Mmap::map(&file) }
        .map_err(|e| JobError::io(ErrorKind::Input, &format!("cannot map {shown}"), &e))?;
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Ok(Source::Mapped(Mapped { map: Some(map) }))
}

/// Reads into `buf` until it holds `want` more bytes or the stream ends; returns the count.
pub(crate) fn read_some(
    r: &mut dyn Read,
    buf: &mut Vec<u8>,
    want: usize,
) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut got = 0;
    while got < want {
        match r.read(&mut buf[start + got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(start + got);
                return Err(e);
            }
        }
    }
    buf.truncate(start + got);
    Ok(got)
}
