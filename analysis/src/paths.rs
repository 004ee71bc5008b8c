//! The secret-file denylist: paths whose content is secret by convention (`.env`, private
//! keys, credential stores), so that no part of them enters a prompt, redacted or not: a
//! pattern can miss a secret, a denylist cannot.
//!
//! Matching is on the path's components, case-insensitively, with `/` or `\` separators.
//! Templates meant to be committed (`.env.example`, `.env.sample`, `.env.template`) and public
//! keys (`id_rsa.pub`, `*.pub`) are not secret.

/// Why `path` is on the denylist, or `None` when it is not.
pub fn secret_path_reason(path: &str) -> Option<&'static str> {
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let components: Vec<&str> = lower.split('/').filter(|c| !c.is_empty()).collect();
    let name = *components.last()?;
    let parent = components
        .len()
        .checked_sub(2)
        .map(|i| components[i])
        .unwrap_or("");

    if name.ends_with(".pub") {
        return None;
    }
    if name == ".env" || name == ".envrc" || name.ends_with(".env") {
        return Some("an environment file");
    }
    if let Some(variant) = name.strip_prefix(".env.") {
        const TEMPLATES: &[&str] = &[
            "example", "sample", "template", "dist", "schema", "defaults",
        ];
        return (!TEMPLATES.contains(&variant)).then_some("an environment file");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|key| name.starts_with(key))
    {
        return Some("an SSH private key");
    }
    if parent == ".ssh" && !matches!(name, "known_hosts" | "config" | "authorized_keys") {
        return Some("a file in .ssh");
    }
    if components.contains(&".gnupg") {
        return Some("a file in .gnupg");
    }
    const KEY_EXTENSIONS: &[&str] = &[
        "pem", "key", "p12", "pfx", "jks", "keystore", "ppk", "p8", "der", "kdbx",
    ];
    if let Some((_, ext)) = name.rsplit_once('.')
        && KEY_EXTENSIONS.contains(&ext)
    {
        return Some("a key or certificate store");
    }
    const CREDENTIAL_FILES: &[&str] = &[
        ".npmrc",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".pgpass",
        ".git-credentials",
        ".htpasswd",
        ".dockercfg",
        ".boto",
        ".s3cfg",
        "credentials.json",
        "credentials.yml",
        "credentials.yaml",
        "secrets.json",
        "secrets.yml",
        "secrets.yaml",
        "secrets.toml",
        "master.key",
        "terraform.tfstate",
        "terraform.tfstate.backup",
    ];
    if CREDENTIAL_FILES.contains(&name) {
        return Some("a credentials file");
    }
    if name.ends_with(".tfstate") || name.ends_with(".tfvars") {
        return Some("Terraform state or variables");
    }
    if name.starts_with("client_secret") && name.ends_with(".json") {
        return Some("an OAuth client secret");
    }
    let in_dir = |dir: &str, file: &str| parent == dir && name == file;
    if in_dir(".aws", "credentials")
        || in_dir(".docker", "config.json")
        || in_dir(".kube", "config")
        || in_dir("gh", "hosts.yml")
    {
        return Some("a credentials file");
    }
    None
}

/// True when `path` names a file whose content must never enter a prompt.
pub fn is_secret_path(path: &str) -> bool {
    secret_path_reason(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::is_secret_path;

    #[test]
    fn denylist() {
        let secret = [
            ".env",
            "app/.env",
            ".env.local",
            ".env.production",
            "config\\.env.development",
            "prod.env",
            ".envrc",
            "certs/server.pem",
            "tls/private.KEY",
            "store.p12",
            "store.pfx",
            "home/u/.ssh/id_rsa",
            "id_ed25519",
            "id_rsa_backup",
            ".ssh/deploy_key",
            ".npmrc",
            ".pypirc",
            "credentials.json",
            ".aws/credentials",
            "/home/u/.netrc",
            ".kube/config",
            "infra/terraform.tfstate",
            "client_secret_123.apps.googleusercontent.com.json",
            "config/master.key",
        ];
        let public = [
            ".env.example",
            ".env.sample",
            ".env.template",
            "id_rsa.pub",
            ".ssh/known_hosts",
            "src/env.rs",
            "environment.ts",
            "keys.py",
            "src/key.rs",
            "README.md",
            "docs/credentials.md",
            ".aws/config",
            "config.json",
            "",
        ];
        for path in secret {
            assert!(is_secret_path(path), "{path} should be secret");
        }
        for path in public {
            assert!(!is_secret_path(path), "{path} should not be secret");
        }
    }
}
