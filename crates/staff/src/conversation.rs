//! Conversations on the staff machine (DESIGN §10): `OUT/conversations/<T>/index.txt` lists, in
//! order, the submission that began a conversation, the follow-ups the person wrote and the
//! replies staff sent, so a lawyer sees the whole exchange; `reply-<n>/` beside it keeps a copy of
//! each reply as it was sent.
//!
//! Job: record what joined a conversation, and find the submission a follow-up continues.
//! Invariant: every line is appended and fsynced before the command that wrote it reports success;
//! thread ids pass [`ThreadId::parse`] before they become a path.
//! Never: writes outside `OUT/conversations/`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use sealpost_format::files::{create_private_dir, sync_dir};
use sealpost_format::id::ThreadId;

use crate::error::{StaffError, io_error};

/// The folder in `OUT` that holds the conversations.
pub const CONVERSATIONS_DIR: &str = "conversations";

/// The index file in a conversation's folder.
pub const INDEX_FILE: &str = "index.txt";

/// What joined a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The submission that began it.
    Submission,
    /// A message the person wrote again from the status page.
    FollowUp,
    /// A reply staff sent, by its number.
    Reply(u32),
}

/// `OUT/conversations/<T>/`, created (0700) if missing.
pub(crate) fn folder(out: &Path, thread: &ThreadId) -> Result<PathBuf, StaffError> {
    let base = out.join(CONVERSATIONS_DIR);
    for dir in [base.clone(), base.join(thread.as_str())] {
        if !dir.exists() {
            create_private_dir(&dir).map_err(io_error(&dir))?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent).map_err(io_error(parent))?;
            }
        }
    }
    Ok(base.join(thread.as_str()))
}

/// Appends `entry` for `id` (a submission id, or the submission a reply answers) to the index of
/// `thread`, dated `when` (RFC 3339), fsynced. A submission already recorded is not recorded again.
pub(crate) fn record(out: &Path, thread: &ThreadId, entry: Entry, id: &str, when: &str) -> Result<(), StaffError> {
    let dir = folder(out, thread)?;
    let index = dir.join(INDEX_FILE);
    let line = match entry {
        Entry::Submission => format!("{when}  submission  {id}\n"),
        Entry::FollowUp => format!("{when}  follow-up   {id}\n"),
        Entry::Reply(number) => format!("{when}  reply {number:<5} to {id}  (copy in reply-{number}/)\n"),
    };
    if matches!(entry, Entry::Submission | Entry::FollowUp)
        && fs::read_to_string(&index).is_ok_and(|text| text.lines().any(|l| l.ends_with(&format!("  {id}"))))
    {
        return Ok(());
    }
    let mut file = OpenOptions::new().create(true).append(true).open(&index).map_err(io_error(&index))?;
    file.write_all(line.as_bytes()).and_then(|()| file.sync_all()).map_err(io_error(&index))?;
    sync_dir(&dir).map_err(io_error(&dir))
}

/// The submission that began `thread`, if it was saved into this `OUT`.
pub(crate) fn first_submission(out: &Path, thread: &ThreadId) -> Option<String> {
    let index = out.join(CONVERSATIONS_DIR).join(thread.as_str()).join(INDEX_FILE);
    let text = fs::read_to_string(index).ok()?;
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let _when = words.next()?;
        (words.next()? == "submission").then(|| words.next().map(str::to_string)).flatten()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_index_lists_a_conversation_in_order_and_finds_where_it_began() {
        let out = tempfile::tempdir().unwrap();
        let thread = ThreadId::from_bits(&[9; 16]);
        assert_eq!(first_submission(out.path(), &thread), None);
        record(out.path(), &thread, Entry::Submission, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-12-01T10:00:00Z").unwrap();
        record(out.path(), &thread, Entry::Reply(1), "aaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-12-02T10:00:00Z").unwrap();
        record(out.path(), &thread, Entry::FollowUp, "bbbbbbbbbbbbbbbbbbbbbbbbbb", "2026-12-03T10:00:00Z").unwrap();
        record(out.path(), &thread, Entry::FollowUp, "bbbbbbbbbbbbbbbbbbbbbbbbbb", "2026-12-03T10:00:00Z").unwrap();
        assert_eq!(first_submission(out.path(), &thread).as_deref(), Some("aaaaaaaaaaaaaaaaaaaaaaaaaa"));
        let text = fs::read_to_string(out.path().join("conversations").join(thread.as_str()).join(INDEX_FILE)).unwrap();
        assert_eq!(text.lines().count(), 3, "a follow-up saved twice is listed once:\n{text}");
        assert!(text.lines().nth(1).unwrap().contains("reply 1"));
    }
}
