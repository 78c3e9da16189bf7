//! The server's listing of a submission, checked before anything is downloaded.
//!
//! Job: [`plan`] turns one [`Listed`] entry into a [`SubmissionId`] and the files to fetch, each
//! a [`ListedPlan`] with a parsed name, a bounded size and a SHA-256 (parse, don't validate).
//! Invariant: a plan exists only for a well-formed id and file names (so nothing from a listing
//! is ever used as a path as it came), holds an envelope, no file twice, and no file larger than
//! [`MAX_DOWNLOAD_BYTES`].
//! Never: talks to the server or touches the disk; trusts a listed size or digest beyond what a
//! download is then checked against.

use std::collections::HashSet;

use sealpost_format::id::{FileName, SubmissionId, parse_sha256};
use sealpost_format::wire::Listed;

use crate::error::StaffError;

/// Largest ciphertext file downloaded (uploads are bounded by the server's `max_body`, far below
/// this); a listing that announces a larger one is refused before anything is downloaded, and a
/// download is cut off as soon as it runs past the size its listing announced.
pub const MAX_DOWNLOAD_BYTES: u64 = 8 << 30;

/// One file of a listed submission, checked.
pub(crate) struct ListedPlan {
    /// Its name in the spool entry (`envelope.age`, `1.age`, …).
    pub(crate) name: FileName,
    /// Its size as listed, at most [`MAX_DOWNLOAD_BYTES`].
    pub(crate) size: u64,
    /// Its SHA-256 as listed, lower-case hex.
    pub(crate) sha256: String,
}

/// A listed submission, checked: a real id, real file names, an envelope, no duplicates.
pub(crate) fn plan(listed: &Listed) -> Result<(SubmissionId, Vec<ListedPlan>), StaffError> {
    let id = SubmissionId::parse(&listed.id)
        .ok_or(StaffError::Protocol { what: "a listing with a malformed submission id" })?;
    let bad = || StaffError::BadEnvelope {
        id: id.to_string(),
        what: "the server's listing of its files is malformed".into(),
    };
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for file in &listed.files {
        let name = FileName::parse(&file.name).ok_or_else(bad)?;
        let sha256 = parse_sha256(&file.sha256).ok_or_else(bad)?;
        if !seen.insert(name) {
            return Err(bad());
        }
        if file.size > MAX_DOWNLOAD_BYTES {
            return Err(StaffError::BadEnvelope {
                id: id.to_string(),
                what: format!(
                    "the server lists {name} as larger than the {} GiB this program downloads",
                    MAX_DOWNLOAD_BYTES >> 30
                ),
            });
        }
        files.push(ListedPlan { name, size: file.size, sha256 });
    }
    if !seen.contains(&FileName::Envelope) {
        return Err(bad());
    }
    Ok((id, files))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn listings_with_path_tricks_are_refused() {
        let file =
            |name: &str| sealpost_format::wire::ListedFile { name: name.into(), size: 1, sha256: "a".repeat(64) };
        let listed =
            |id: &str, files: Vec<sealpost_format::wire::ListedFile>| Listed { id: id.into(), form: "f".into(), files };
        let id = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert!(plan(&listed(id, vec![file("envelope.age"), file("1.age")])).is_ok());
        assert!(plan(&listed("../../etc", vec![file("envelope.age")])).is_err());
        assert!(plan(&listed(id, vec![file("envelope.age"), file("../1.age")])).is_err());
        assert!(plan(&listed(id, vec![file("1.age")])).is_err(), "no envelope");
        assert!(plan(&listed(id, vec![file("envelope.age"), file("envelope.age")])).is_err(), "duplicate");
    }

    #[test]
    fn a_listed_file_larger_than_the_download_bound_is_refused_before_downloading() {
        let listed = |size: u64| Listed {
            id: "aaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            form: "f".into(),
            files: vec![sealpost_format::wire::ListedFile {
                name: "envelope.age".into(),
                size,
                sha256: "a".repeat(64),
            }],
        };
        assert!(plan(&listed(MAX_DOWNLOAD_BYTES)).is_ok());
        let Err(err) = plan(&listed(MAX_DOWNLOAD_BYTES + 1)) else { panic!("an oversized file was accepted") };
        assert!(err.is_per_submission());
        assert_eq!(
            err.to_string(),
            "submission aaaaaaaaaaaaaaaaaaaaaaaaaa: the server lists envelope.age as larger than the 8 GiB this program downloads"
        );
    }
}
