//! From a receipt to its conversation (DESIGN §10): `K = Argon2id(R, salt)`, the thread id `T`
//! and the reply identity, whose public key `P` staff seal replies to.
//!
//! Job: derive `T` and the reply identity from a receipt and the server's salt, identically every
//! time, and make the salt once.
//! Invariant: K and the identity's scalar live only in wiped memory, only for the call that needs
//! them; the salt file holds 32 random bytes, 0600, and is the only thing written.
//! Never: stores K, R or the identity; derives anything on a request's async thread (callers run
//! [`derive`] on a blocking thread, under [`super::Derivations`]).

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use sealpost_format::id::ThreadId;

use super::receipt::Receipt;

/// Argon2id memory, in KiB: 19 MiB (DESIGN §10's floor; OWASP's recommendation). Memory-hard,
/// because a seized server holds the salt and every thread id.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes.
pub const ARGON2_PASSES: u32 = 2;
/// Argon2id lanes.
pub const ARGON2_LANES: u32 = 1;

/// The salt's file in `data_dir`.
pub const SALT_FILE: &str = "reply.salt";

/// Labels that separate the values derived from K.
const THREAD_LABEL: &[u8] = b"sealpost thread id v1";
const IDENTITY_LABEL: &[u8] = b"sealpost reply identity v1";

/// What a receipt opens: its thread, and the identity replies to it are sealed to.
pub struct ThreadKeys {
    /// `T`.
    pub thread: ThreadId,
    /// The reply identity; `age` wipes its scalar when it is dropped.
    pub identity: age::x25519::Identity,
    /// `P`, the identity's public key (`age1…`).
    pub recipient: String,
}

/// Argon2id's working memory for one derivation: [`ARGON2_MEMORY_KIB`] blocks of 1 KiB. A
/// deriving thread keeps one and reuses it ([`super::Deriver`]), so derivations never grow the
/// heap: the memory is allocated once per thread, not once per receipt.
pub struct Workspace(Vec<argon2::Block>);

impl Workspace {
    /// Allocates (19 MiB; the pages are touched by the first derivation).
    pub fn new() -> Workspace {
        Workspace(vec![argon2::Block::default(); ARGON2_MEMORY_KIB as usize])
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

/// Derives a receipt's keys in `memory`, and wipes it: memory-hard and slow on purpose (19 MiB,
/// tens of milliseconds); run it on a deriving thread.
pub fn derive_in(receipt: &Receipt, salt: &[u8; 32], memory: &mut Workspace) -> ThreadKeys {
    let mut k = Zeroizing::new([0u8; 32]);
    // invariant: the parameters are constants within Argon2's bounds, the salt is 32 bytes and
    // the workspace has exactly the blocks they ask for, so neither building nor hashing can fail.
    #[allow(clippy::expect_used)]
    {
        let params =
            Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, Some(32)).expect("valid Argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(receipt.secret(), salt, &mut k[..], &mut memory.0[..])
            .expect("Argon2id with a 32-byte salt and output");
    }
    memory.0.iter_mut().for_each(zeroize::Zeroize::zeroize);
    let thread_bits = labelled(&k, THREAD_LABEL);
    let mut bits = [0u8; 16];
    bits.copy_from_slice(thread_bits.get(..16).unwrap_or(&[0; 16]));
    let scalar = labelled(&k, IDENTITY_LABEL);
    let identity = identity_from_scalar(&scalar);
    let recipient = identity.to_public().to_string();
    ThreadKeys { thread: ThreadId::from_bits(&bits), identity, recipient }
}

/// [`derive_in`] with a workspace of its own (for tools and tests; the server reuses one).
pub fn derive(receipt: &Receipt, salt: &[u8; 32]) -> ThreadKeys {
    derive_in(receipt, salt, &mut Workspace::new())
}

/// HMAC-SHA256(K, label).
fn labelled(k: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    // invariant: HMAC takes a key of any length
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(k).expect("HMAC accepts any key length");
    mac.update(label);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// The age X25519 identity whose scalar is `scalar`: age builds identities only from their text
/// (`AGE-SECRET-KEY-1…`, bech32), so the text is made and parsed in wiped memory.
fn identity_from_scalar(scalar: &[u8; 32]) -> age::x25519::Identity {
    // invariant: the prefix is a valid bech32 human-readable part and 32 bytes fit a bech32
    // string, and age parses exactly that text; a failure here is a bug in the encoding.
    #[allow(clippy::expect_used)]
    {
        let hrp = bech32::Hrp::parse("age-secret-key-").expect("a valid bech32 prefix");
        let text = Zeroizing::new(bech32::encode_upper::<bech32::Bech32>(hrp, scalar).expect("32 bytes encode"));
        text.parse().expect("age parses the identity it writes")
    }
}

/// Reads `data_dir/reply.salt`, creating it (0600, 32 random bytes, fsynced) if absent.
pub fn load_salt(data_dir: &Path) -> std::io::Result<[u8; 32]> {
    sealpost_format::files::read_or_create_key(data_dir, SALT_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_receipt_and_salt_always_open_the_same_thread_and_identity_and_another_receipt_does_not() {
        let salt = [7u8; 32];
        let receipt = Receipt::random();
        let again = Receipt::parse(&receipt.to_groups()).unwrap_or_else(|p| panic!("{p:?}"));
        let (a, b) = (derive(&receipt, &salt), derive(&again, &salt));
        assert_eq!(a.thread, b.thread);
        assert_eq!(a.recipient, b.recipient);
        assert!(a.recipient.starts_with("age1"));
        assert_eq!(a.thread.as_str().len(), 26);
        let other = derive(&Receipt::random(), &salt);
        assert_ne!(other.thread, a.thread);
        assert_ne!(other.recipient, a.recipient);
        let salted = derive(&receipt, &[8u8; 32]);
        assert_ne!(salted.thread, a.thread, "the salt matters");
    }

    #[test]
    fn what_is_sealed_to_the_derived_recipient_opens_with_the_derived_identity() {
        use std::io::{Read, Write};
        let keys = derive(&Receipt::random(), &[1u8; 32]);
        let recipient: age::x25519::Recipient = keys.recipient.parse().unwrap_or_else(|e| panic!("{e}"));
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).unwrap_or_else(|e| panic!("{e}"));
        writer.write_all(b"we will call you on Monday").unwrap_or_else(|e| panic!("{e}"));
        writer.finish().unwrap_or_else(|e| panic!("{e}"));
        let decryptor = age::Decryptor::new_buffered(&sealed[..]).unwrap_or_else(|e| panic!("{e}"));
        let mut reader =
            decryptor.decrypt(std::iter::once(&keys.identity as &dyn age::Identity)).unwrap_or_else(|e| panic!("{e}"));
        let mut plain = Vec::new();
        reader.read_to_end(&mut plain).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain, b"we will call you on Monday");
    }
}
