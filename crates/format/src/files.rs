//! The crash-safe file helpers both programs write with (STYLE 9).
//!
//! Job: files created new with mode 0600 and folders with 0700, fsync of a folder so the names in
//! it (creations, renames) are durable, and the SHA-256 of a stored file.
//! Invariant: nothing here overwrites: a new file is created with `create_new`, so a name that
//! already exists is an error, never a truncation.
//! Never: names a path after outside text; callers pass paths built from parsed ids and names.
//!
//! Portable: on Unix the modes are set at creation and folders are fsynced. Elsewhere (Windows)
//! files take the folder's access list and a folder cannot be opened for fsync, so
//! [`sync_dir`] does nothing there: NTFS journals renames itself.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Read buffer for hashing files.
const READ_BUFFER: usize = 64 * 1024;

/// Creates a directory with mode 0700 (and its parents), succeeding if it exists.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Creates a new file with mode 0600 for writing; fails if anything exists at `path`.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// fsyncs a directory so the entries in it (creations, renames) are durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(path)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Reads the 32-byte secret `dir/name`, creating `dir` (0700) and the file (0600, 32 random
/// bytes, fsynced with its folder) if absent. A file of another length is an error naming it.
pub fn read_or_create_key(dir: &Path, name: &str) -> io::Result<[u8; 32]> {
    use std::io::Write;
    create_private_dir(dir)?;
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| io::Error::other(format!("{} is not 32 bytes; delete it to make a new one", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let key: [u8; 32] = crate::random_bytes();
            let mut file = create_private_file(&path)?;
            file.write_all(&key)?;
            file.sync_all()?;
            sync_dir(dir)?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

/// Hex SHA-256 of a file's contents.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(data_encoding::HEXLOWER.encode(&hasher.finalize()))
}

/// An I/O error's reason in lower case, without the OS error number, for one-line messages.
pub fn io_reason(e: &io::Error) -> String {
    let text = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    let text = text.split(" (os error").next().unwrap_or_default().to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_private_file_is_new_and_readable_only_by_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        drop(create_private_file(&path).unwrap());
        assert_eq!(create_private_file(&path).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            create_private_dir(&dir.path().join("b/c")).unwrap();
            assert_eq!(fs::metadata(dir.path().join("b/c")).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn a_file_hashes_to_the_sha256_of_its_bytes_and_a_folder_syncs() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("x"), b"abc").unwrap();
        assert_eq!(
            sha256_file(&dir.path().join("x")).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        sync_dir(dir.path()).unwrap();
        assert!(sync_dir(&dir.path().join("missing")).is_err() || cfg!(not(unix)));
    }

    #[test]
    fn io_reasons_are_lower_case_without_the_os_error_number() {
        let missing = File::open("/nonexistent/sealpost").unwrap_err();
        assert_eq!(io_reason(&missing), "no such file or directory");
        assert_eq!(io_reason(&io::Error::other("Disk quota exceeded (os error 122)")), "disk quota exceeded");
    }
}
