//! Staff identities, the staff API as a client calls it (challenge, login, raw calls) against the
//! in-process server, and running the `sealpost-staff` binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sealpost_format::wire::{CHALLENGE_LABEL, ChallengeResponse, SessionResponse};

use super::bins::staff_binary;
use super::fixture::{decrypt_with, write_identity};
use super::server::InProcess;

/// A staff member: an identity file on disk and its public key.
pub struct Staff {
    pub identity: PathBuf,
    pub public: String,
    pub key: age::x25519::Identity,
}

impl Staff {
    /// A new key, written to `dir/<name>.txt` with `# <name>` above it.
    pub fn new(dir: &Path, name: &str) -> Staff {
        let key = age::x25519::Identity::generate();
        let public = key.to_public().to_string();
        let identity = dir.join(format!("{name}.txt"));
        write_identity(&identity, Some(name), &[&key]);
        Staff { identity, public, key }
    }
}

// ───────────────────────────── the staff API ─────────────────────────────

/// The body of a challenge request for `recipient` (a public key).
pub fn challenge_body(recipient: &str) -> String {
    format!("{{\"recipient\":\"{recipient}\"}}")
}

/// The body of a session request answering challenge `id` with `response`.
pub fn session_body(id: &str, response: &[u8]) -> String {
    format!("{{\"challenge_id\":\"{id}\",\"response\":\"{}\"}}", data_encoding::BASE64.encode(response))
}

/// Decrypts an armored login challenge with `identity`; returns the secret that answers it.
pub fn decrypt_challenge(identity: &age::x25519::Identity, armored: &str) -> Vec<u8> {
    let decryptor = age::Decryptor::new(age::armor::ArmoredReader::new(armored.as_bytes())).unwrap();
    let mut plain = Vec::new();
    decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
    plain[CHALLENGE_LABEL.len()..].to_vec()
}

impl InProcess {
    /// A raw staff API call: `(status, body)`.
    pub fn api(&self, method: &str, path: &str, token: Option<&str>, body: Option<String>) -> (u16, Vec<u8>) {
        self.api_at(&self.url(), method, path, token, body)
    }

    /// [`InProcess::api`] against the listener at `base`.
    pub fn api_at(
        &self,
        base: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (u16, Vec<u8>) {
        self.call(&format!("{base}{path}"), method, token, None, body)
    }

    /// A staff API call from client address `from` (needs `trusted_proxies` to name 127.0.0.1):
    /// `(status, body)`.
    pub fn api_from(&self, from: &str, method: &str, path: &str, body: Option<String>) -> (u16, Vec<u8>) {
        self.call(&format!("{}{path}", self.url()), method, None, Some(from), body)
    }

    /// Sends `method url` with the session `token`, as forwarded for `from`, with `body` as
    /// JSON: `(status, body)`.
    fn call(
        &self,
        url: &str,
        method: &str,
        token: Option<&str>,
        from: Option<&str>,
        body: Option<String>,
    ) -> (u16, Vec<u8>) {
        self.block_on(async {
            let mut request = match method {
                "GET" => self.client().get(url),
                "POST" => self.client().post(url),
                "DELETE" => self.client().delete(url),
                _ => panic!("{method}"),
            };
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(from) = from {
                request = request.header("x-forwarded-for", from);
            }
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.bytes().await.unwrap().to_vec())
        })
    }

    /// Asks for a challenge for `staff` and decrypts it: `(challenge_id, secret)`.
    pub fn challenge(&self, staff: &Staff) -> (String, Vec<u8>) {
        let (status, body) = self.api("POST", "/staff/v1/challenge", None, Some(challenge_body(&staff.public)));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let challenge: ChallengeResponse = serde_json::from_slice(&body).unwrap();
        let secret = decrypt_challenge(&staff.key, &challenge.challenge);
        (challenge.challenge_id, secret)
    }

    /// Logs `staff` in through the API and returns the token.
    pub fn login(&self, staff: &Staff) -> String {
        let (id, secret) = self.challenge(staff);
        let (status, body) = self.api("POST", "/staff/v1/session", None, Some(session_body(&id, &secret)));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice::<SessionResponse>(&body).unwrap().token
    }

    /// The decrypted envelope of submission `id` of `form`, as JSON.
    pub fn envelope_json(&self, staff: &Staff, form: &str, id: &str) -> serde_json::Value {
        let bytes = std::fs::read(self.envelope_path(form, id)).unwrap();
        serde_json::from_slice(&decrypt_with(&staff.key, &bytes)).unwrap()
    }
}

// ───────────────────────────── the `sealpost-staff` binary ─────────────────────────────

/// Runs `sealpost-staff` with `args` (never asking a pinentry of the environment's).
pub fn staff_cli(args: &[&str]) -> Output {
    Command::new(staff_binary()).args(args).env_remove("PINENTRY_PROGRAM").output().unwrap()
}

/// `sealpost-staff pull` against `server` into `out`, as a command to adjust before running.
pub fn pull_command(server: &str, identity: &Path, out: &Path) -> Command {
    let mut command = Command::new(staff_binary());
    command.args(["pull", "--server", server, "--identity"]).arg(identity).arg("--out").arg(out);
    command
}

/// `sealpost-staff pull` against `server` into `out`.
pub fn pull(server: &str, identity: &Path, out: &Path, extra: &[&str]) -> Output {
    pull_command(server, identity, out).args(extra).env_remove("PINENTRY_PROGRAM").output().unwrap()
}

/// What `sealpost-staff pull` runs with by default, for calling the library in this process.
pub fn pull_options(server: String, identity: &Path, out: &Path) -> sealpost_staff::PullOptions {
    sealpost_staff::PullOptions {
        server,
        identity: identity.to_owned(),
        out: out.to_owned(),
        ca_cert: None,
        ack: true,
        timeout: sealpost_staff::DEFAULT_PULL_TIMEOUT,
    }
}

/// The submission folders under `out` (names), sorted; fails on leftovers of interrupted writes.
/// The lock file every run leaves is not counted.
pub fn saved_ids(out: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != sealpost_staff::LOCK_FILE)
        // The conversations' index (OUT/conversations/) is not a saved submission: a submission
        // sent through the form has one whenever the receipt pool gave it a receipt.
        .filter(|name| name != "conversations")
        .collect();
    ids.sort();
    ids
}
