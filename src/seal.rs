//! age encryption into the sealed format (DESIGN §5); the format itself is `sealpost-format`'s.
//!
//! Job: turn plaintext (an [`Envelope`] or an attachment's byte stream) into binary age v1
//! ciphertext addressed to a form's [`Recipients`], padded (`sealpost_format::pad`) so sizes leak little.
//! Invariant: every byte this module writes has passed through the age encryptor; writers are
//! finished before they report success (an unfinished age stream is truncated). The envelope is
//! fsynced here; attachment files by the spool when their submission is committed.
//! Never: holds or parses a secret key; logs or returns plaintext in an error.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;

use sealpost_format::envelope::Envelope;
use sealpost_format::pad::{envelope_padded_len, padme};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Buffer between the age writer and the file: one age chunk plus its tag.
const WRITE_BUFFER: usize = 64 * 1024 + 16;

/// The staff keys a form's submissions are sealed to. Holds public keys only (invariant 1).
pub struct Recipients {
    keys: Vec<age::x25519::Recipient>,
    encoded: Vec<String>,
}

impl fmt::Debug for Recipients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.encoded).finish()
    }
}

/// Why a recipients file was refused. Rendered after `recipients file "…" `.
#[derive(Debug, PartialEq, Eq)]
pub enum RecipientsError {
    /// The line holds an age identity, which must stay on a staff machine.
    SecretKey { line: usize },
    /// The line holds a kind of public key this server cannot encrypt to.
    Unsupported { line: usize },
    /// The line holds something that is not a public key at all.
    Invalid { line: usize },
    /// No recipients at all: nobody could read the submissions.
    Empty,
}

impl fmt::Display for RecipientsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecipientsError::SecretKey { line } => write!(f, "line {line} holds a secret key"),
            RecipientsError::Unsupported { line } => {
                write!(f, "line {line} holds a recipient type sealpost cannot encrypt to")
            }
            RecipientsError::Invalid { line } => write!(f, "line {line} is not an age public key"),
            RecipientsError::Empty => write!(f, "holds no recipients"),
        }
    }
}

impl std::error::Error for RecipientsError {}

impl RecipientsError {
    /// The fix.
    pub fn hint(&self) -> Option<String> {
        Some(
            match self {
                RecipientsError::SecretKey { .. } => {
                    "put only public keys (age1…) here; the identity stays on the staff member's machine"
                }
                RecipientsError::Unsupported { .. } => {
                    "use X25519 recipients (age1…), as printed by `age-keygen -y` or `sealpost-staff keygen`"
                }
                RecipientsError::Invalid { .. } => {
                    "one public key per line (age1…); lines starting with # are comments"
                }
                RecipientsError::Empty => "add at least one staff public key (age1…)",
            }
            .to_string(),
        )
    }
}

impl Recipients {
    /// Parses an age recipients file: one key per line, `#` comments, blank lines ignored.
    pub fn parse(text: &str) -> Result<Recipients, RecipientsError> {
        let mut keys = Vec::new();
        let mut encoded = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            let entry = line.trim();
            if entry.contains("AGE-SECRET-KEY-") || entry.starts_with("AGE-PLUGIN-") {
                return Err(RecipientsError::SecretKey { line: line_no });
            }
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match entry.parse::<age::x25519::Recipient>() {
                Ok(key) => {
                    if !encoded.iter().any(|e| e == entry) {
                        encoded.push(entry.to_string());
                        keys.push(key);
                    }
                }
                Err(_) if entry.starts_with("age1") || entry.starts_with("ssh-") => {
                    return Err(RecipientsError::Unsupported { line: line_no });
                }
                Err(_) => return Err(RecipientsError::Invalid { line: line_no }),
            }
        }
        if keys.is_empty() {
            return Err(RecipientsError::Empty);
        }
        Ok(Recipients { keys, encoded })
    }

    /// Whether `recipient` (an `age1…` string) is on this list.
    pub fn contains(&self, recipient: &str) -> bool {
        self.encoded.iter().any(|e| e == recipient)
    }

    /// How many keys are on the list.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: parsing refuses an empty list.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn encryptor(&self) -> Result<age::Encryptor, SealError> {
        age::Encryptor::with_recipients(self.keys.iter().map(|k| k as &dyn age::Recipient))
            .map_err(|_| SealError::Encrypt)
    }
}

/// Why sealing failed. Never carries plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The age encryptor refused the recipient set.
    #[error("cannot encrypt to the form's recipients")]
    Encrypt,
    /// Writing or syncing the ciphertext failed (often: the disk is full).
    #[error("writing ciphertext failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Encrypts `envelope` into `file` (created by the spool), pads it, finishes and fsyncs.
/// Returns the ciphertext length.
pub(crate) fn seal_envelope(recipients: &Recipients, envelope: &Envelope, file: File) -> Result<u64, SealError> {
    let file = seal_envelope_into(recipients, envelope, BufWriter::with_capacity(WRITE_BUFFER, file))?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// Serialises `envelope`, pads it to [`sealpost_format::pad::ENVELOPE_BLOCK`]s and encrypts it into `out`, returning
/// `out` once the age stream is finished. The spool's path adds the fsync; benchmarks seal into
/// memory.
pub fn seal_envelope_into<W: Write>(recipients: &Recipients, envelope: &Envelope, out: W) -> Result<W, SealError> {
    // Measured first, then written into a buffer of its final size: a buffer that grew would
    // leave unwiped copies of the plaintext behind in freed memory.
    let mut length = ByteCount(0);
    serde_json::to_writer(&mut length, envelope).map_err(std::io::Error::other)?;
    let padded = envelope_padded_len(length.0);
    let mut plain = Zeroizing::new(Vec::with_capacity(padded));
    serde_json::to_writer(&mut *plain, envelope).map_err(std::io::Error::other)?;
    plain.resize(padded, b' ');
    let mut writer = recipients.encryptor()?.wrap_output(out)?;
    writer.write_all(&plain)?;
    Ok(writer.finish()?)
}

/// A writer that only counts what it is given.
struct ByteCount(usize);

impl Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An attachment file, shared by its age writer, its write-back advice and the draft that fsyncs
/// it at commit: one descriptor for all three, so a write-back error reaches that fsync.
#[derive(Clone)]
pub(crate) struct SharedFile(Arc<File>, Option<Arc<dyn Meter>>);

/// Counts bytes before they are written (the spool's quota): a write it refuses fails
/// with its error and nothing reaches the file.
pub(crate) trait Meter: Send + Sync {
    /// Claims room for `bytes` about to be written, or refuses.
    fn take(&self, bytes: u64) -> std::io::Result<()>;
    /// Returns room claimed for bytes that were not written after all.
    fn give_back(&self, bytes: u64);
}

impl SharedFile {
    /// A file written without a meter (tests).
    #[cfg(test)]
    pub(crate) fn new(file: File) -> SharedFile {
        SharedFile(Arc::new(file), None)
    }

    /// A file whose every write is first claimed from `meter`.
    pub(crate) fn metered(file: File, meter: Arc<dyn Meter>) -> SharedFile {
        SharedFile(Arc::new(file), Some(meter))
    }

    /// fsyncs the file's data and metadata.
    pub(crate) fn sync_all(&self) -> std::io::Result<()> {
        self.0.sync_all()
    }
}

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let Some(meter) = &self.1 else { return (&*self.0).write(buf) };
        let claimed = buf.len() as u64;
        meter.take(claimed)?;
        let written = (&*self.0).write(buf);
        meter.give_back(claimed - written.as_ref().map_or(0, |n| *n as u64).min(claimed));
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&*self.0).flush()
    }
}

/// Streams one attachment through age into a file, hashing the plaintext on the way.
///
/// The two halves can work on the same piece on two threads at once ([`AttachmentSealer::split`]):
/// encrypting and hashing are each about as costly, and uploads arrive faster than one core does both.
pub struct AttachmentSealer {
    cipher: AttachmentCipher,
    digest: PlaintextDigest,
}

/// The encrypting half of an [`AttachmentSealer`].
pub struct AttachmentCipher {
    writer: age::stream::StreamWriter<BufWriter<SharedFile>>,
    /// The same file, to start writing ciphertext back to disk while the upload goes on, so the
    /// fsync at commit has little left to wait for.
    file: SharedFile,
    /// Start of the part of the file whose pages may still be in the page cache.
    cached_from: u64,
    /// Where the file ended after the previous batch.
    last_end: u64,
}

/// The hashing and counting half of an [`AttachmentSealer`].
pub struct PlaintextDigest {
    hasher: Sha256,
    size: u64,
}

/// The plaintext facts about a sealed attachment, for its envelope entry.
pub struct AttachmentDigest {
    /// Length of the original bytes.
    pub size: u64,
    /// Hex SHA-256 of the original bytes.
    pub sha256: String,
    /// Bytes of ciphertext written.
    pub stored: u64,
}

impl AttachmentSealer {
    /// Starts an age stream into `file` (created by the spool).
    pub(crate) fn new(recipients: &Recipients, file: SharedFile) -> Result<Self, SealError> {
        let writer = recipients.encryptor()?.wrap_output(BufWriter::with_capacity(WRITE_BUFFER, file.clone()))?;
        Ok(AttachmentSealer {
            cipher: AttachmentCipher { writer, file, cached_from: 0, last_end: 0 },
            digest: PlaintextDigest { hasher: Sha256::new(), size: 0 },
        })
    }

    /// Bytes of plaintext written so far.
    pub fn size(&self) -> u64 {
        self.digest.size
    }

    /// Encrypts the next piece of the attachment.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), SealError> {
        self.digest.update(chunk);
        self.cipher.write(chunk)
    }

    /// The two halves, to feed the same pieces to each on its own thread.
    pub fn split(self) -> (AttachmentCipher, PlaintextDigest) {
        (self.cipher, self.digest)
    }

    /// Puts the halves back together. They must have seen the same pieces in the same order.
    pub fn join(cipher: AttachmentCipher, digest: PlaintextDigest) -> Self {
        AttachmentSealer { cipher, digest }
    }

    /// Pads to the Padmé length and finishes the age stream. The file is not fsynced here: the
    /// spool fsyncs all the files of a submission at the spool's `Draft::commit`, one right
    /// after another, instead of each as its attachment ends.
    pub fn finish(mut self) -> Result<AttachmentDigest, SealError> {
        let size = self.digest.size;
        let zeros = [0u8; 8192];
        let mut pad = padme(size) - size;
        while pad > 0 {
            let n = pad.min(zeros.len() as u64) as usize;
            self.cipher.write(zeros.get(..n).unwrap_or(&zeros))?;
            pad -= n as u64;
        }
        let sha256 = data_encoding::HEXLOWER.encode(&self.digest.hasher.finalize());
        let stored = end_stream(self.cipher.writer)?.0.metadata()?.len();
        Ok(AttachmentDigest { size, sha256, stored })
    }
}

impl AttachmentCipher {
    /// Encrypts the next piece and writes the ciphertext.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), SealError> {
        Ok(self.writer.write_all(chunk)?)
    }

    /// [`AttachmentCipher::write`], then advice to the kernel: start writing this batch's
    /// ciphertext back to disk now, and drop the previous batch's pages, written back by then,
    /// from the page cache (no one reads ciphertext back here). `DONTNEED` does both: it starts
    /// write-back of dirty pages and drops clean ones. Only advice, so its failures are ignored;
    /// durability comes from the fsync at the spool's `Draft::commit`.
    pub fn write_batch(&mut self, batch: &[u8]) -> Result<(), SealError> {
        self.write(batch)?;
        if let Ok(meta) = self.file.0.metadata() {
            let end = meta.len();
            if let Some(len) = std::num::NonZeroU64::new(end.saturating_sub(self.cached_from)) {
                let _ = rustix::fs::fadvise(&*self.file.0, self.cached_from, Some(len), rustix::fs::Advice::DontNeed);
            }
            self.cached_from = self.last_end;
            self.last_end = end;
        }
        Ok(())
    }
}

impl PlaintextDigest {
    /// Hashes and counts the next piece.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
    }
}

/// Finishes an age stream (without this the file is truncated) and flushes it to the file.
fn end_stream(writer: age::stream::StreamWriter<BufWriter<SharedFile>>) -> Result<SharedFile, SealError> {
    Ok(writer.finish()?.into_inner().map_err(|e| e.into_error())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sealpost_format::envelope::{AckSecret, AttachmentMeta, ENVELOPE_VERSION, EnvelopeField};
    use sealpost_format::pad::ENVELOPE_BLOCK;

    #[test]
    fn refuses_secret_keys_and_names_the_line() {
        let text = "# team\nage1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n  AGE-SECRET-KEY-1ABC\n";
        assert_eq!(Recipients::parse(text).unwrap_err(), RecipientsError::SecretKey { line: 3 });
        let plugin = "AGE-PLUGIN-YUBIKEY-1QQQ\n";
        assert_eq!(Recipients::parse(plugin).unwrap_err(), RecipientsError::SecretKey { line: 1 });
    }

    #[test]
    fn refuses_garbage_unsupported_and_empty_lists() {
        assert_eq!(Recipients::parse("hello\n").unwrap_err(), RecipientsError::Invalid { line: 1 });
        assert_eq!(Recipients::parse("ssh-ed25519 AAAA x\n").unwrap_err(), RecipientsError::Unsupported { line: 1 });
        assert_eq!(Recipients::parse("# nobody\n\n").unwrap_err(), RecipientsError::Empty);
    }

    #[test]
    fn ignores_duplicate_keys() {
        let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        let r = Recipients::parse(&format!("{key}\n{key}\n")).unwrap();
        assert_eq!(r.len(), 1);
        assert!(r.contains(key));
        assert!(!r.contains("age1other"));
    }

    fn open(identity: &age::x25519::Identity, ciphertext: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let decryptor = age::Decryptor::new_buffered(ciphertext).unwrap();
        let mut reader = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_version_1_envelope_without_an_ack_still_parses() {
        let v1 = br#"{"sealpost":1,"id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","form":"contact","received":"2026-11-28T10:15:03Z","locale":"en","fields":[],"attachments":[]}"#;
        let envelope: Envelope = serde_json::from_slice(v1).unwrap();
        assert_eq!(envelope.sealpost, 1);
        assert!(envelope.ack.is_none());
        let json = serde_json::to_string(&envelope).unwrap();
        assert!(!json.contains("\"ack\""), "no ack field is written for it: {json}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn an_envelope_round_trips_through_age_and_padding(
            values in proptest::collection::vec(any::<String>(), 0..6),
            names in proptest::collection::vec(".{0,300}", 0..4),
        ) {
            let identity = age::x25519::Identity::generate();
            let recipients = Recipients::parse(&identity.to_public().to_string()).unwrap();
            let secret = AckSecret::random();
            let digest = secret.digest();
            let envelope = Envelope {
                sealpost: ENVELOPE_VERSION,
                ack: Some(secret),
                id: "aaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
                form: "contact".into(),
                received: "2026-11-28T10:15:03Z".into(),
                locale: "fa".into(),
                fields: values.iter().enumerate().map(|(i, v)| EnvelopeField { name: format!("f{i}"), label: format!("Label {i}"), kind: Some("text".into()), value: v.clone(), choices: vec![format!("c{i}")] }).collect(),
                attachments: names.iter().enumerate().map(|(i, n)| AttachmentMeta { file: format!("{}.age", i + 1), name: n.clone(), media_type: "application/pdf".into(), size: i as u64, sha256: "00".repeat(32) }).collect(),
                reply: None,
                follow_up: false,
            };
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("envelope.age");
            let stored = seal_envelope(&recipients, &envelope, File::create(&path).unwrap()).unwrap();
            let ciphertext = std::fs::read(&path).unwrap();
            prop_assert_eq!(stored, ciphertext.len() as u64);
            let plain = open(&identity, &ciphertext);
            prop_assert_eq!(plain.len() % ENVELOPE_BLOCK, 0);
            let back: Envelope = serde_json::from_slice(&plain).unwrap();
            prop_assert_eq!(back.fields.len(), values.len());
            for (field, value) in back.fields.iter().zip(&values) {
                prop_assert_eq!(&field.value, value);
            }
            for (meta, name) in back.attachments.iter().zip(&names) {
                prop_assert_eq!(&meta.name, name);
            }
            prop_assert_eq!(&back.locale, "fa");
            prop_assert!(back.ack.as_ref().is_some_and(|a| a.matches(&digest)), "the ack secret comes back");
        }

        #[test]
        fn an_attachment_round_trips_with_padme_padding_and_its_digest(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            let identity = age::x25519::Identity::generate();
            let recipients = Recipients::parse(&identity.to_public().to_string()).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("1.age");
            let mut sealer = AttachmentSealer::new(&recipients, SharedFile::new(File::create(&path).unwrap())).unwrap();
            for chunk in bytes.chunks(7_000) {
                sealer.write(chunk).unwrap();
            }
            let digest = sealer.finish().unwrap();
            let plain = open(&identity, &std::fs::read(&path).unwrap());
            prop_assert_eq!(digest.size, bytes.len() as u64);
            prop_assert_eq!(plain.len() as u64, padme(bytes.len() as u64));
            prop_assert_eq!(&plain[..bytes.len()], &bytes[..]);
            prop_assert!(plain[bytes.len()..].iter().all(|b| *b == 0));
            prop_assert_eq!(digest.sha256, data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes)));
        }

    }
}
