//! Unsealing one submission: from its verified ciphertext to the readable files of its folder.
//!
//! Job: [`fill`] decrypts `envelope.age`, checks it belongs to this submission and form and lists
//! exactly the attachments that came with it, then writes into a [`Staging`] folder
//! `submission.txt`, `envelope.json`, `ciphertext.sha256` and each attachment under a safe,
//! unique name, decrypted by streaming and checked against its recorded size and SHA-256; it
//! hands back what was [`Saved`] and the envelope's ack secret. [`recorded_sums`] and
//! [`verify_saved_folder`] read back a folder an earlier, interrupted run saved.
//! Invariant: every file is fsynced before `fill` returns; an attachment is written only as it
//! decrypts and authenticates (a damaged one fails the submission); the ack secret is returned,
//! never written to disk; every text from the envelope is neutralised before it is written.
//! Never: talks to the server; writes outside the staging folder it is given; commits it (the
//! caller does, after `fill`); uses an attachment's name as sent (it passes `safe_file_name`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use sealpost_format::envelope::{AckSecret, ENVELOPE_VERSION, Envelope};
use sealpost_format::id::{FileName, ThreadId, parse_sha256};

use crate::conversation;
use crate::error::{StaffError, io_error};
use crate::folder::{
    CIPHERTEXT_SHA256, ENVELOPE_JSON, FolderNames, SUBMISSION_TXT, Staging, create_attachment, folder_files,
};
use crate::identities::{AgeProblem, Identities, decrypt_all, stream_problem};
use crate::neutralize::{escape_json, for_terminal, neutralize_text, safe_file_name};

/// Largest envelope plaintext accepted (fields are bounded far below this by the server).
const MAX_ENVELOPE: u64 = 16 << 20;
/// Buffer for decrypting and copying.
const BUFFER: usize = 64 * 1024;

/// A ciphertext file on local disk, with the SHA-256 it was verified (or measured) to have.
pub(crate) struct CipherFile {
    /// Its name in the spool entry.
    pub(crate) name: FileName,
    /// Where it is now.
    pub(crate) path: PathBuf,
    /// Hex SHA-256 of its bytes.
    pub(crate) sha256: String,
}

/// What was written for one submission.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    /// The submission id.
    pub id: String,
    /// The form, neutralised for display.
    pub form: String,
    /// `OUT/<id>`.
    pub folder: String,
    /// Attachments written.
    pub attachments: usize,
    /// The conversation it belongs to (its thread id), if the person got a receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// For a follow-up the person wrote from the status page: true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
    /// For a follow-up: the submission that began its conversation, if it is in this `OUT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
    /// Every file written into the folder with its size, checked once more before the ack.
    #[serde(skip)]
    pub files: Vec<(String, u64)>,
}

/// Decrypts and verifies `cipher` and writes the readable files into `staging`. `form` is what
/// the listing said, checked against the envelope. Returns, besides what was saved, the
/// envelope's ack secret (none in a version 1 envelope), which is written nowhere.
pub(crate) fn fill(
    staging: &Staging,
    cipher: &[CipherFile],
    identities: &Identities,
    form: Option<&str>,
) -> Result<(Saved, Option<AckSecret>), StaffError> {
    let id = staging.id().as_str();
    let bad = |what: String| StaffError::BadEnvelope { id: id.to_string(), what };
    let envelope_file =
        cipher.iter().find(|c| c.name == FileName::Envelope).ok_or_else(|| bad("no envelope.age".into()))?;
    let (mut envelope, json) = read_envelope(identities, id, &envelope_file.path)?;
    if envelope.id != id {
        return Err(bad("the envelope belongs to another submission".into()));
    }
    if form.is_some_and(|f| f != envelope.form) {
        return Err(bad("the envelope belongs to another form".into()));
    }
    let sent: BTreeSet<FileName> = cipher.iter().map(|c| c.name).filter(|n| *n != FileName::Envelope).collect();
    let mut listed = BTreeSet::new();
    for meta in &envelope.attachments {
        match FileName::parse(&meta.file) {
            Some(name @ FileName::Attachment(_)) if listed.insert(name) => {}
            _ => return Err(bad("the envelope's attachment list is malformed".into())),
        }
        if parse_sha256(&meta.sha256).is_none() {
            return Err(bad("the envelope records a malformed sha256".into()));
        }
    }
    if listed != sent {
        return Err(bad(format!("the envelope lists {} attachment(s) but {} came with it", listed.len(), sent.len())));
    }

    // Our own files first, so no attachment can take their names.
    let mut text_file = staging.create(SUBMISSION_TXT)?;
    let mut json_file = staging.create(ENVELOPE_JSON)?;
    let json = escape_json(&json);
    json_file.write_all(json.as_bytes()).map_err(io_error(staging.path()))?;
    json_file.sync_all().map_err(io_error(staging.path()))?;
    let mut sums = staging.create(CIPHERTEXT_SHA256)?;
    let sums_text = sha256sums(cipher);
    sums.write_all(sums_text.as_bytes()).and_then(|()| sums.sync_all()).map_err(io_error(staging.path()))?;
    let mut files =
        vec![(ENVELOPE_JSON.to_string(), json.len() as u64), (CIPHERTEXT_SHA256.to_string(), sums_text.len() as u64)];

    let mut names = FolderNames::default();
    for own in [SUBMISSION_TXT, ENVELOPE_JSON, CIPHERTEXT_SHA256] {
        names.reserve(own);
    }
    let mut saved_names = Vec::new();
    for (index, meta) in envelope.attachments.iter().enumerate() {
        let source =
            cipher.iter().find(|c| c.name.to_string() == meta.file).ok_or_else(|| bad("missing attachment".into()))?;
        let (file, name) =
            create_attachment(staging.path(), &mut names, &safe_file_name(&meta.name, index + 1), index + 1)?;
        decrypt_attachment(identities, id, source, meta.size, &meta.sha256, file, &staging.path().join(&name))?;
        files.push((name.clone(), meta.size));
        saved_names.push(name);
    }
    let thread = envelope.reply.as_ref().and_then(|r| ThreadId::parse(&r.thread));
    let out = staging.target().parent().unwrap_or(staging.path());
    let continues = thread.as_ref().filter(|_| envelope.follow_up).and_then(|t| conversation::first_submission(out, t));
    let text = render_submission(&envelope, &saved_names, thread.as_ref(), continues.as_deref());
    text_file.write_all(text.as_bytes()).and_then(|()| text_file.sync_all()).map_err(io_error(staging.path()))?;
    files.push((SUBMISSION_TXT.to_string(), text.len() as u64));
    let saved = Saved {
        id: id.to_string(),
        form: for_terminal(&envelope.form),
        folder: staging.target().display().to_string(),
        attachments: saved_names.len(),
        thread: thread.map(|t| t.to_string()),
        follow_up: envelope.follow_up,
        continues,
        files,
    };
    Ok((saved, envelope.ack.take()))
}

/// The human-readable `submission.txt`.
fn render_submission(
    envelope: &Envelope,
    saved_names: &[String],
    thread: Option<&ThreadId>,
    continues: Option<&str>,
) -> String {
    let mut text = String::new();
    let clean = neutralize_text;
    let kind = if envelope.follow_up { "Follow-up" } else { "Submission" };
    text.push_str(&format!("{kind:<12}{}\n", clean(&envelope.id)));
    text.push_str(&format!("Form        {}\n", clean(&envelope.form)));
    text.push_str(&format!("Received    {}\n", clean(&envelope.received)));
    text.push_str(&format!("Language    {}\n", clean(&envelope.locale)));
    if envelope.follow_up {
        let earlier = continues.map_or_else(
            || "an earlier submission that is not in this folder".to_string(),
            |id| format!("submission {} (see {id}/)", clean(id)),
        );
        text.push_str(&format!("Continues   {earlier}\n"));
    }
    if let Some(thread) = thread {
        text.push_str(&format!(
            "Conversation {thread}: every message and reply in order in conversations/{thread}/index.txt;\n             reply with: sealpost-staff reply <this folder> --server … --identity …\n"
        ));
    } else {
        text.push_str("Conversation none: the person has no receipt, so replies cannot reach them here\n");
    }
    for field in &envelope.fields {
        text.push_str(&format!("\n== {} ==\n{}\n", for_terminal(&field.label), clean(&field.value)));
    }
    if !envelope.attachments.is_empty() {
        text.push_str("\n== Attachments ==\n");
        for (index, (meta, saved)) in envelope.attachments.iter().zip(saved_names).enumerate() {
            text.push_str(&format!(
                "{}. {}  ({} bytes, {})\n   name as sent: {}\n",
                index + 1,
                saved,
                meta.size,
                for_terminal(&meta.media_type),
                for_terminal(&meta.name),
            ));
        }
    }
    text
}

/// Decrypts and parses `envelope.age` (format version 1 or 2): the envelope, and its JSON
/// re-serialised for `envelope.json` (every field kept but the ack secret, padding dropped). A
/// version 2 envelope must carry its ack secret.
pub(crate) fn read_envelope(identities: &Identities, id: &str, path: &Path) -> Result<(Envelope, String), StaffError> {
    let file = File::open(path).map_err(io_error(path))?;
    let plain =
        decrypt_all(identities, BufReader::new(file), MAX_ENVELOPE).map_err(|p| p.about(id, "envelope.age", path))?;
    let bad = || StaffError::BadEnvelope {
        id: id.to_string(),
        what: "envelope.age does not hold a sealpost envelope".into(),
    };
    // serde_json's messages can quote the text they choke on, so they are never shown.
    let mut value: serde_json::Value = serde_json::from_slice(&plain).map_err(|_| bad())?;
    let envelope: Envelope = serde_json::from_slice(&plain).map_err(|_| bad())?;
    if !(1..=ENVELOPE_VERSION).contains(&envelope.sealpost) {
        return Err(StaffError::BadEnvelope {
            id: id.to_string(),
            what: format!("envelope format {} is newer than this program; update sealpost-staff", envelope.sealpost),
        });
    }
    if envelope.sealpost >= 2 && envelope.ack.is_none() {
        return Err(StaffError::BadEnvelope { id: id.to_string(), what: "the envelope lacks its ack secret".into() });
    }
    // The ack secret proves this machine decrypted the envelope; it is sent once, in the ack,
    // and never written to the staff's folder.
    if let Some(serde_json::Value::String(mut secret)) = value.as_object_mut().and_then(|m| m.remove("ack")) {
        zeroize::Zeroize::zeroize(&mut secret);
    }
    let json = serde_json::to_string_pretty(&value).map_err(|_| bad())? + "\n";
    Ok((envelope, json))
}

/// Decrypts one attachment into `out`: its first `size` bytes (the rest is padding, still read
/// to the end so the whole stream is authenticated), checked against `sha256`; fsynced.
fn decrypt_attachment(
    identities: &Identities,
    id: &str,
    source: &CipherFile,
    size: u64,
    sha256: &str,
    out: File,
    out_path: &Path,
) -> Result<(), StaffError> {
    let file_name = source.name.to_string();
    let problem = |p: AgeProblem| p.about(id, &file_name, &source.path);
    let input = File::open(&source.path).map_err(io_error(&source.path))?;
    let mut stream = identities.decrypt(BufReader::with_capacity(BUFFER, input)).map_err(problem)?;
    let mut writer = BufWriter::with_capacity(BUFFER, out);
    let mut hasher = Sha256::new();
    let mut buf = Zeroizing::new(vec![0u8; BUFFER]);
    let mut remaining = size;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(problem(stream_problem(e))),
        };
        let keep = usize::try_from(remaining.min(n as u64)).unwrap_or(n);
        let piece = buf.get(..keep).unwrap_or_default();
        writer.write_all(piece).map_err(io_error(out_path))?;
        hasher.update(piece);
        remaining -= keep as u64;
    }
    if remaining > 0 {
        return Err(StaffError::Damaged {
            id: id.to_string(),
            file: file_name,
            what: "shorter than its recorded size",
        });
    }
    if data_encoding::HEXLOWER.encode(&hasher.finalize()) != sha256.to_ascii_lowercase() {
        return Err(StaffError::Damaged {
            id: id.to_string(),
            file: file_name,
            what: "its content does not match its recorded sha256",
        });
    }
    let file = writer.into_inner().map_err(|e| io_error(out_path)(e.into_error()))?;
    file.sync_all().map_err(io_error(out_path))
}

/// `sha256sum`-style lines for the ciphertext files, so a re-run can tell it saved this copy.
fn sha256sums(cipher: &[CipherFile]) -> String {
    let mut sorted: Vec<&CipherFile> = cipher.iter().collect();
    sorted.sort_by_key(|c| c.name);
    sorted.iter().map(|c| format!("{}  {}\n", c.sha256, c.name)).collect()
}

/// Reads `ciphertext.sha256` back; `None` if absent or malformed.
pub(crate) fn recorded_sums(folder: &Path) -> Option<BTreeMap<FileName, String>> {
    let text = fs::read_to_string(folder.join(CIPHERTEXT_SHA256)).ok()?;
    let mut sums = BTreeMap::new();
    for line in text.lines() {
        let (hash, name) = line.split_once("  ")?;
        sums.insert(FileName::parse(name)?, parse_sha256(hash)?);
    }
    Some(sums)
}

/// Checks a folder saved by an earlier run before it is acknowledged: our three files are there,
/// and as many attachments, of the sizes its `envelope.json` records.
pub(crate) fn verify_saved_folder(id: &str, folder: &Path, attachments: usize) -> Result<(), StaffError> {
    let incomplete = || StaffError::FolderIncomplete { id: id.to_string(), folder: folder.display().to_string() };
    let mut on_disk = folder_files(folder).map_err(io_error(folder))?.ok_or_else(incomplete)?;
    for own in [SUBMISSION_TXT, ENVELOPE_JSON, CIPHERTEXT_SHA256] {
        on_disk.remove(own).ok_or_else(incomplete)?;
    }
    let json = File::open(folder.join(ENVELOPE_JSON)).map_err(io_error(folder))?;
    let mut text = Zeroizing::new(Vec::new());
    json.take(8 * MAX_ENVELOPE).read_to_end(&mut text).map_err(io_error(folder))?;
    let envelope: Envelope = serde_json::from_slice(&text).map_err(|_| incomplete())?;
    let sizes: u64 = envelope.attachments.iter().map(|a| a.size).fold(0, u64::saturating_add);
    let found: u64 = on_disk.values().fold(0, |a, b| a.saturating_add(*b));
    if envelope.attachments.len() != attachments || on_disk.len() != attachments || found != sizes {
        return Err(incomplete());
    }
    Ok(())
}
