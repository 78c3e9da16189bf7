//! `sealpost-staff reply OUT/<id>`: a reply to the person behind a submission (DESIGN §10),
//! sealed on this machine to the conversation's public key and sent to the server as ciphertext.
//!
//! Job: read the conversation from the saved folder's `envelope.json`, build the reply (message
//! and documents), seal it to the conversation's key, log in and post it, then keep a copy in
//! `OUT/conversations/<T>/reply-<n>/` and list it in the conversation's index.
//! Invariant: the server receives only one binary age file to the conversation's key, within
//! [`MAX_REPLY_BYTES`]; the reply's plaintext lives in wiped memory until it is sealed; the local
//! copy is written only after the server stored the reply, under safe names.
//! Never: sends plaintext, or a reply to a conversation the server does not confirm.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zeroize::Zeroizing;

use sealpost_format::files::{create_private_dir, create_private_file, sync_dir};
use sealpost_format::id::ThreadId;
use sealpost_format::reply::{
    MAX_REPLY_ATTACHMENTS, MAX_REPLY_BYTES, MAX_REPLY_MESSAGE_CHARS, REPLY_VERSION, Reply, ReplyAttachment,
};

use crate::client::Server;
use crate::conversation::{self, Entry};
use crate::error::{StaffError, io_error};
use crate::folder::ENVELOPE_JSON;
use crate::identities::Identities;
use crate::neutralize::safe_file_name;

/// Room kept in a reply for its JSON, padding and age's header and tags.
const REPLY_OVERHEAD: u64 = 256 * 1024;

/// What `reply` needs.
pub struct ReplyOptions {
    /// `--server`.
    pub server: String,
    /// `--identity`.
    pub identity: PathBuf,
    /// The saved submission's folder, `OUT/<id>`.
    pub folder: PathBuf,
    /// `--message FILE`, or `-` for standard input.
    pub message: PathBuf,
    /// `--attach FILE`, any number.
    pub attach: Vec<PathBuf>,
    /// `--ca-cert`.
    pub ca_cert: Option<PathBuf>,
    /// `--timeout`.
    pub timeout: Duration,
}

/// What was sent.
#[derive(Debug, Serialize)]
pub struct Replied {
    /// The submission replied to.
    pub id: String,
    /// Its conversation.
    pub thread: String,
    /// The reply's number in the conversation.
    pub number: u32,
    /// When the conversation will now be deleted unless someone acts (to the day).
    pub expires: String,
    /// Where the copy of what was sent is.
    pub copy: String,
}

/// `sealpost-staff reply`.
pub async fn reply(options: &ReplyOptions) -> Result<Replied, StaffError> {
    let (id, thread, recipient) = conversation_of(&options.folder)?;
    let plain = build(options)?;
    let sealed = seal(&plain, &recipient)?;
    let mut server = Server::new(&options.server, options.ca_cert.as_deref())?;
    let identities = Arc::new(Identities::load(&options.identity)?);
    server.deadline_in(options.timeout);
    let mut listed = false;
    for key in identities.recipients() {
        let Some(session) = server.login(&identities, key).await? else { continue };
        listed = true;
        if let Some(posted) = server.post_reply(&session, thread.as_str(), sealed.clone()).await? {
            let out = options.folder.parent().unwrap_or(Path::new("."));
            let copy = keep_copy(out, &thread, posted.number, &plain)?;
            conversation::record(out, &thread, Entry::Reply(posted.number), &id, &crate::pull::now_rfc3339())?;
            return Ok(Replied {
                id,
                thread: thread.to_string(),
                number: posted.number,
                expires: posted.expires,
                copy: copy.display().to_string(),
            });
        }
    }
    if !listed {
        return Err(StaffError::NotListed { recipients: identities.recipients().to_vec() });
    }
    Err(StaffError::ConversationUnknown { thread: thread.to_string() })
}

/// The submission id, thread and public key recorded in `folder/envelope.json`.
fn conversation_of(folder: &Path) -> Result<(String, ThreadId, String), StaffError> {
    let shown = folder.display().to_string();
    let path = folder.join(ENVELOPE_JSON);
    let text = fs::read(&path).map_err(|_| StaffError::NotSubmissionFolder { folder: shown.clone() })?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|_| StaffError::NotSubmissionFolder { folder: shown.clone() })?;
    let text_at = |pointer: &str| json.pointer(pointer).and_then(serde_json::Value::as_str);
    let id = text_at("/id").ok_or_else(|| StaffError::NotSubmissionFolder { folder: shown.clone() })?;
    let thread = text_at("/reply/thread").and_then(ThreadId::parse);
    let recipient = text_at("/reply/recipient").filter(|r| r.starts_with("age1"));
    match (thread, recipient) {
        (Some(thread), Some(recipient)) => Ok((id.to_string(), thread, recipient.to_string())),
        (Some(thread), None) => Err(StaffError::ConversationGone { thread: thread.to_string() }),
        _ => Err(StaffError::NoConversation { folder: shown }),
    }
}

/// The reply's plaintext: the message and documents, checked against the format's bounds.
fn build(options: &ReplyOptions) -> Result<Reply, StaffError> {
    let bad = |what: String| StaffError::BadReply { what };
    let mut message = Zeroizing::new(Vec::new());
    let limit = (MAX_REPLY_MESSAGE_CHARS * 4 + 1) as u64;
    if options.message.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut message).map_err(io_error(Path::new("standard input")))?;
    } else {
        let file = fs::File::open(&options.message).map_err(io_error(&options.message))?;
        file.take(limit).read_to_end(&mut message).map_err(io_error(&options.message))?;
    }
    let message = String::from_utf8(message.to_vec()).map_err(|_| bad("the message is not UTF-8 text".into()))?;
    if message.trim().is_empty() {
        return Err(bad("the message is empty; write what the person should read".into()));
    }
    if message.chars().count() > MAX_REPLY_MESSAGE_CHARS {
        return Err(bad(format!("the message is longer than {MAX_REPLY_MESSAGE_CHARS} characters")));
    }
    if options.attach.len() > MAX_REPLY_ATTACHMENTS {
        return Err(bad(format!("a reply carries at most {MAX_REPLY_ATTACHMENTS} documents")));
    }
    // Base64 makes documents a third larger; keep the sealed reply within the server's bound.
    let room = (MAX_REPLY_BYTES - REPLY_OVERHEAD) / 4 * 3;
    let mut total = 0u64;
    let mut attachments = Vec::new();
    for path in &options.attach {
        let size = fs::metadata(path).map_err(io_error(path))?.len();
        total = total.saturating_add(size);
        if total > room {
            return Err(bad(format!(
                "the documents together are larger than {} MiB, the most one reply carries; send them in several replies",
                room >> 20
            )));
        }
        let bytes = Zeroizing::new(fs::read(path).map_err(io_error(path))?);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
        attachments.push(ReplyAttachment {
            name,
            media_type: "application/octet-stream".into(),
            data: data_encoding::BASE64.encode(&bytes),
        });
    }
    Ok(Reply { sealpost_reply: REPLY_VERSION, message, attachments })
}

/// The reply as JSON padded with spaces to the envelope block, sealed to `recipient`.
fn seal(plain: &Reply, recipient: &str) -> Result<Vec<u8>, StaffError> {
    let bad =
        || StaffError::BadReply { what: "the conversation's public key in envelope.json is not an age key".into() };
    let key: age::x25519::Recipient = recipient.parse().map_err(|_| bad())?;
    let mut json = Zeroizing::new(serde_json::to_vec(plain).map_err(|_| bad())?);
    let padded = sealpost_format::pad::envelope_padded_len(json.len());
    json.resize(padded, b' ');
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&key as &dyn age::Recipient)).map_err(|_| bad())?;
    let mut sealed = Vec::with_capacity(json.len() + 1024);
    let mut writer = encryptor.wrap_output(&mut sealed).map_err(|_| bad())?;
    writer.write_all(&json).and_then(|()| writer.finish().map(drop)).map_err(|_| bad())?;
    if sealed.len() as u64 > MAX_REPLY_BYTES {
        return Err(StaffError::BadReply { what: "the reply is too large; send fewer or smaller documents".into() });
    }
    Ok(sealed)
}

/// `OUT/conversations/<T>/reply-<n>/`: `message.txt` and each document under a safe name.
fn keep_copy(out: &Path, thread: &ThreadId, number: u32, plain: &Reply) -> Result<PathBuf, StaffError> {
    // A folder of that name already (a server that numbered two replies alike): the next free one.
    let base = conversation::folder(out, thread)?;
    let dir = (1..)
        .map(
            |n: u32| {
                if n == 1 { base.join(format!("reply-{number}")) } else { base.join(format!("reply-{number}-{n}")) }
            },
        )
        .find(|d| !d.exists())
        .unwrap_or_else(|| base.join(format!("reply-{number}")));
    create_private_dir(&dir).map_err(io_error(&dir))?;
    let write = |name: &str, bytes: &[u8]| -> Result<(), StaffError> {
        let path = dir.join(name);
        let mut file = create_private_file(&path).map_err(io_error(&path))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_error(&path))
    };
    write("message.txt", plain.message.as_bytes())?;
    let mut used = vec!["message.txt".to_string()];
    for (index, attachment) in plain.attachments.iter().enumerate() {
        let bytes = Zeroizing::new(data_encoding::BASE64.decode(attachment.data.as_bytes()).unwrap_or_default());
        let name = safe_file_name(&attachment.name, index + 1);
        // Two documents of one name, or one called message.txt, each keep a name of their own.
        let name =
            if used.iter().any(|u| u.eq_ignore_ascii_case(&name)) { format!("{}-{name}", index + 1) } else { name };
        used.push(name.clone());
        write(&name, &bytes)?;
    }
    sync_dir(&dir).map_err(io_error(&dir))?;
    Ok(dir)
}
