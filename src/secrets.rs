//! Sealing and opening secrets at rest.
//!
//! A sealed secret is a versioned envelope, `v1:<key id>:<base64(nonce || ciphertext)>`,
//! encrypted with AES-256-GCM. The caller binds it to where it is stored (the record
//! id and the field) as associated data, so a ciphertext copied to another row or
//! field fails to open.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

const ENVELOPE_VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error("the secret key must be base64 of exactly {KEY_LEN} bytes")]
    Malformed,
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret could not be sealed")]
    Seal,
    #[error("the sealed secret is not a {ENVELOPE_VERSION} envelope")]
    Malformed,
    #[error("the sealed secret was made with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed secret does not open: wrong key, or it was moved or altered")]
    Tampered,
}

/// A 256-bit data-encryption key. `Debug` prints only its id.
pub struct SecretKey {
    key: SecretBox<[u8; KEY_LEN]>,
    id: String,
}

impl SecretKey {
    /// Reads a key given as base64 text, as in `MCP_REGISTRY_SECRET_KEY`.
    pub fn from_base64(text: &str) -> Result<Self, SecretKeyError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| SecretKeyError::Malformed)?;
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| SecretKeyError::Malformed)?;
        Ok(Self::from_bytes(key))
    }

    pub fn generate() -> Self {
        Self::from_bytes(Aes256Gcm::generate_key(OsRng).into())
    }

    fn from_bytes(key: [u8; KEY_LEN]) -> Self {
        // The id names the key in each envelope without revealing it, so rotation
        // can tell which key sealed what.
        let digest = Sha256::digest(key);
        let id = to_hex(&digest[..4]);
        Self {
            key: SecretBox::new(Box::new(key)),
            id,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn to_base64(&self) -> String {
        BASE64.encode(self.key.expose_secret())
    }

    /// Loads the key file at `path`, or creates it (mode 0600) with a new key.
    /// Used with the embedded SQLite database so a first start needs no setup.
    pub fn load_or_create_file(path: &Path) -> Result<Self, SecretKeyError> {
        let key_file_error = |source| SecretKeyError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match create_private_file(path) {
            Ok(mut file) => {
                let key = Self::generate();
                writeln!(file, "{}", key.to_base64())
                    .and_then(|()| file.sync_all())
                    .map_err(key_file_error)?;
                tracing::info!(path = %path.display(), key_id = key.id(), "created a new secret key file");
                Ok(key)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(key_file_error)?;
                Self::from_base64(&text)
            }
            Err(err) => Err(key_file_error(err)),
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn envelope_key_id(envelope: &str) -> Option<&str> {
    let mut parts = envelope.splitn(3, ':');
    (parts.next()? == ENVELOPE_VERSION).then_some(())?;
    parts.next()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// One key's cipher and fingerprint key.
struct Keyring {
    id: String,
    cipher: Aes256Gcm,
    fingerprint_key: SecretBox<[u8; KEY_LEN]>,
}

impl Keyring {
    fn new(key: &SecretKey) -> Self {
        // A key of its own for fingerprints, derived so it never equals the
        // encryption key.
        let fingerprint_key = Sha256::new()
            .chain_update(b"mcp-registry fingerprint key v1")
            .chain_update(key.key.expose_secret())
            .finalize()
            .into();
        Self {
            id: key.id.clone(),
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.key.expose_secret())),
            fingerprint_key: SecretBox::new(Box::new(fingerprint_key)),
        }
    }

    fn fingerprint(&self, data: &[u8]) -> Result<String, SecretError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.fingerprint_key.expose_secret())
            .map_err(|_| SecretError::Seal)?;
        mac.update(data);
        Ok(to_hex(&mac.finalize().into_bytes()))
    }
}

/// Seals with the current key; opens with the current or a previous one (named
/// by the key id in each envelope), so keys can rotate without downtime.
pub struct SecretBoxer {
    current: Keyring,
    previous: Vec<Keyring>,
}

impl SecretBoxer {
    pub fn new(key: &SecretKey) -> Self {
        Self::with_previous(key, &[])
    }

    /// Also opens what `previous` keys sealed (MCP_REGISTRY_SECRET_KEY_PREVIOUS).
    pub fn with_previous(current: &SecretKey, previous: &[SecretKey]) -> Self {
        Self {
            current: Keyring::new(current),
            previous: previous.iter().map(Keyring::new).collect(),
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// A keyed hash (HMAC-SHA-256, hex) of data that may hold secrets: equal data
    /// gives equal fingerprints, and without the key nothing can be learnt or
    /// guessed from one.
    pub fn fingerprint(&self, data: &[u8]) -> Result<String, SecretError> {
        self.current.fingerprint(data)
    }

    /// Whether `fingerprint` was made of `data` with the current or a previous key.
    pub fn fingerprint_matches(&self, data: &[u8], fingerprint: &str) -> Result<bool, SecretError> {
        for keyring in std::iter::once(&self.current).chain(&self.previous) {
            if keyring.fingerprint(data)? == fingerprint {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether an envelope was sealed with an older key and wants re-sealing.
    pub fn is_stale(&self, envelope: &str) -> bool {
        envelope_key_id(envelope).is_some_and(|id| id != self.current.id)
    }

    /// Encrypts `plaintext`, bound to `context` (where it will be stored).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, SecretError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| SecretError::Seal)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!(
            "{ENVELOPE_VERSION}:{}:{}",
            self.current.id,
            BASE64.encode(sealed)
        ))
    }

    /// Decrypts an envelope sealed for `context`.
    pub fn open(&self, envelope: &str, context: &str) -> Result<Vec<u8>, SecretError> {
        let mut parts = envelope.splitn(3, ':');
        let (Some(ENVELOPE_VERSION), Some(key_id), Some(body)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretError::Malformed);
        };
        let keyring = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| SecretError::UnknownKey(key_id.to_owned()))?;
        let sealed = BASE64.decode(body).map_err(|_| SecretError::Malformed)?;
        if sealed.len() < NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        keyring
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| SecretError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_for_the_same_context_only() {
        let boxer = SecretBoxer::new(&SecretKey::generate());
        let sealed = boxer.seal(b"sk-123", "mcp_servers/a/api_key").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("sk-123"));
        assert_eq!(
            boxer.open(&sealed, "mcp_servers/a/api_key").unwrap(),
            b"sk-123"
        );
        assert!(matches!(
            boxer.open(&sealed, "mcp_servers/b/api_key"),
            Err(SecretError::Tampered)
        ));
    }

    #[test]
    fn another_key_cannot_open_it() {
        let sealed = SecretBoxer::new(&SecretKey::generate())
            .seal(b"x", "c")
            .unwrap();
        let other = SecretBoxer::new(&SecretKey::generate());
        assert!(matches!(
            other.open(&sealed, "c"),
            Err(SecretError::UnknownKey(_))
        ));
    }

    #[test]
    fn previous_keys_open_old_envelopes_and_new_ones_use_the_current_key() {
        let old = SecretKey::generate();
        let new = SecretKey::generate();
        let sealed_before = SecretBoxer::new(&old).seal(b"s", "c").unwrap();
        let fingerprint_before = SecretBoxer::new(&old).fingerprint(b"body").unwrap();
        let rotated = SecretBoxer::with_previous(&new, std::slice::from_ref(&old));
        assert_eq!(rotated.open(&sealed_before, "c").unwrap(), b"s");
        assert!(rotated.is_stale(&sealed_before));
        let sealed_after = rotated.seal(b"s", "c").unwrap();
        assert!(!rotated.is_stale(&sealed_after));
        assert!(SecretBoxer::new(&new).open(&sealed_after, "c").is_ok());
        assert!(
            rotated
                .fingerprint_matches(b"body", &fingerprint_before)
                .unwrap()
        );
        assert!(
            !rotated
                .fingerprint_matches(b"other", &fingerprint_before)
                .unwrap()
        );
    }

    #[test]
    fn rejects_keys_of_the_wrong_length() {
        assert!(SecretKey::from_base64(&BASE64.encode([0u8; 16])).is_err());
        assert!(SecretKey::from_base64("not base64!").is_err());
        assert!(SecretKey::from_base64(&BASE64.encode([7u8; 32])).is_ok());
    }

    #[test]
    fn key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let first = SecretKey::load_or_create_file(&path).unwrap();
        let second = SecretKey::load_or_create_file(&path).unwrap();
        assert_eq!(first.id(), second.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
