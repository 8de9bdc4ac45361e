//! Module source addresses: the `source` argument of a `module` block.
//!
//! The syntax and its meaning follow Terraform (`addrs.ParseModuleSource`) and go-getter's
//! detection, so existing configurations keep working:
//!
//! - local paths start with `./` or `../` (backslashes are accepted and normalised);
//! - `NAMESPACE/NAME/SYSTEM` or `HOST/NAMESPACE/NAME/SYSTEM` is a module registry address;
//! - everything else is a "remote" address: an optional forced getter (`git::`, `s3::`, ...),
//!   an address, an optional `//subdir` inside the package and query arguments.
//!
//! Git sources are parsed fully (`git::https://...`, `git::ssh://...`, `git::file:///...`,
//! scp-like `git@host:org/repo.git`, the `github.com/org/repo` shorthand). Registry addresses and
//! the other getters are recognised so that the installer can say clearly that they are not
//! supported yet, instead of misreading them.
//!
//! This module is pure string handling: no file system and no network.

use std::fmt;

/// A parsed module source address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModuleSource {
    /// A directory relative to the calling module's directory.
    Local(LocalSource),
    /// A directory in a Git repository.
    Git(GitSource),
    /// A module registry address (`NAMESPACE/NAME/SYSTEM`, optionally with a host).
    Registry(RegistrySource),
    /// A source for another go-getter getter (S3, GCS, HTTP archive, Mercurial, Bitbucket...).
    Other(OtherSource),
}

/// A local path, normalised: always starts with `./` or `../`, uses `/`, has no `.` components
/// and no redundant `..` components (for example `./modules/net`, `../shared`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalSource {
    path: String,
}

impl LocalSource {
    /// The normalised path (`./x`, `../x`, or `.` for the calling module's own directory).
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// A Git repository, a commit-ish in it and a directory inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GitSource {
    /// The repository URL as given to git: `https://`, `http://`, `ssh://`, `git://` or
    /// `file://` (scp-like addresses are converted to `ssh://`).
    pub url: String,
    /// The directory inside the repository (`//subdir`), normalised, without leading or trailing
    /// slashes; empty for the repository's root.
    pub subdir: String,
    /// `?ref=`: a tag, a branch or a commit id. `None` means the remote's default branch.
    pub git_ref: Option<String>,
    /// `?depth=`: shallow fetch depth.
    pub depth: Option<u32>,
}

/// A module registry address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrySource {
    /// The registry host, `None` for the default (`registry.terraform.io`).
    pub host: Option<String>,
    pub namespace: String,
    pub name: String,
    /// The target system (historically "provider"), e.g. `aws`.
    pub system: String,
    /// The directory inside the package (`//subdir`), empty for the root.
    pub subdir: String,
}

/// A source for a getter other than git.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherSource {
    /// The getter that would handle it: `s3`, `gcs`, `http`, `hg`, `bitbucket`, `file`.
    pub getter: String,
    /// The address as written (with its forced-getter prefix, if any).
    pub address: String,
}

/// The forms accepted, for error messages.
pub const ACCEPTED_FORMS: &str = "accepted module sources are:\n  \
    ./dir or ../dir                                  (a directory relative to the calling module)\n  \
    git::https://host/org/repo.git//subdir?ref=v1.2  (any Git URL: https, ssh, file)\n  \
    git::ssh://git@host/org/repo.git?ref=main\n  \
    git@github.com:org/repo.git//subdir?ref=v1       (scp-like SSH)\n  \
    github.com/org/repo//subdir?ref=v1               (GitHub over https)";

/// Parses a module source address as written in a `module` block.
///
/// The error message says what is wrong and which forms are accepted.
pub fn parse(s: &str) -> Result<ModuleSource, String> {
    if s.is_empty() {
        return Err(format!("the module source is empty; {ACCEPTED_FORMS}"));
    }
    if s.trim() != s {
        return Err(format!(
            "the module source {s:?} has leading or trailing whitespace; remove it"
        ));
    }
    if is_local(s) {
        return Ok(ModuleSource::Local(parse_local(s)));
    }
    if is_absolute_path(s) {
        return Err(format!(
            "the module source {s:?} is an absolute path, which is not supported: a local module \
             source must be a path relative to the calling module's directory, starting with ./ \
             or ../ (so that the configuration works on other machines). To use a Git repository \
             on this machine, write git::file://{}",
            s.replace('\\', "/")
        ));
    }

    let (forced, rest) = split_forced_getter(s);
    if forced.is_none() {
        if let Some(reg) = parse_registry(s) {
            return Ok(ModuleSource::Registry(reg));
        }
    }
    let (addr, subdir) = split_subdir(rest);
    let subdir = clean_subdir(subdir).map_err(|e| format!("in module source {s:?}: {e}"))?;

    match forced {
        Some("git") => parse_git(s, &addr, subdir, true),
        Some(g @ ("s3" | "gcs" | "hg" | "http" | "https" | "file")) => {
            Ok(ModuleSource::Other(OtherSource {
                getter: if g == "https" {
                    "http".into()
                } else {
                    g.into()
                },
                address: s.to_string(),
            }))
        }
        Some(g) => Err(format!(
            "the module source {s:?} asks for an unknown getter {g:?} (the part before \"::\"); \
             known getters are git, hg, http, s3, gcs and file. {ACCEPTED_FORMS}"
        )),
        None => detect(s, &addr, subdir),
    }
}

/// Detection of an address without a forced getter, as go-getter's detectors do.
fn detect(s: &str, addr: &str, subdir: String) -> Result<ModuleSource, String> {
    if addr.starts_with("github.com/") {
        return parse_git(s, addr, subdir, false);
    }
    if addr.starts_with("bitbucket.org/") {
        return Ok(other("bitbucket", s));
    }
    if let Some(scheme) = url_scheme(addr) {
        return match scheme.as_str() {
            "git" => parse_git(s, addr, subdir, false),
            "http" | "https" => Ok(other("http", s)),
            "s3" => Ok(other("s3", s)),
            "gcs" => Ok(other("gcs", s)),
            "file" => Ok(other("file", s)),
            "ssh" => Err(format!(
                "the module source {s:?} is an ssh:// URL without a getter; for a Git repository \
                 over SSH write git::{s}"
            )),
            other => Err(format!(
                "the module source {s:?} uses the URL scheme {other:?}, which no getter \
                 supports; {ACCEPTED_FORMS}"
            )),
        };
    }
    if addr.starts_with("git@") && scp_like(addr).is_some() {
        return parse_git(s, addr, subdir, false);
    }
    let host = addr.split(['/', '?']).next().unwrap_or("");
    if host.contains(".s3") && host.ends_with(".amazonaws.com") {
        return Ok(other("s3", s));
    }
    if host == "www.googleapis.com" && addr.contains("/storage/") {
        return Ok(other("gcs", s));
    }
    let mut msg = format!("cannot detect the type of module source {s:?}. ");
    if !s.contains(':') {
        msg.push_str(&format!(
            "If it is a directory relative to the calling module, write \"./{s}\": a local path \
             must start with ./ or ../ (otherwise it is read as a remote or registry address). "
        ));
    }
    msg.push_str(ACCEPTED_FORMS);
    Err(msg)
}

fn other(getter: &str, address: &str) -> ModuleSource {
    ModuleSource::Other(OtherSource {
        getter: getter.into(),
        address: address.into(),
    })
}

fn is_local(s: &str) -> bool {
    ["./", "../", ".\\", "..\\"]
        .iter()
        .any(|p| s.starts_with(p))
        || s == "."
        || s == ".."
}

fn is_absolute_path(s: &str) -> bool {
    if s.starts_with('/') || s.starts_with('\\') || s.starts_with('~') {
        return true;
    }
    // `C:\x` or `C:/x`
    let b = s.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

fn parse_local(s: &str) -> LocalSource {
    let s = s.replace('\\', "/");
    let mut out: Vec<&str> = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let path = if out.is_empty() {
        ".".to_string()
    } else if out[0] == ".." {
        out.join("/")
    } else {
        format!("./{}", out.join("/"))
    };
    LocalSource { path }
}

/// `git::x` -> (Some("git"), "x"). The getter name is `[A-Za-z0-9]+` as in go-getter.
fn split_forced_getter(s: &str) -> (Option<&str>, &str) {
    if let Some(i) = s.find("::") {
        let g = &s[..i];
        if !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return (Some(g), &s[i + 2..]);
        }
    }
    (None, s)
}

/// go-getter's `SourceDirSubdir`: splits `addr//subdir?query` into (`addr?query`, `subdir`).
/// Returns the address (with its query re-attached) and the raw subdir.
fn split_subdir(src: &str) -> (std::borrow::Cow<'_, str>, &str) {
    let stop = src.find('?').unwrap_or(src.len());
    let offset = src[..stop].find("://").map(|i| i + 3).unwrap_or(0);
    let Some(i) = src[offset..stop].find("//") else {
        return (src.into(), "");
    };
    let i = i + offset;
    let after = &src[i + 2..];
    match after.find('?') {
        Some(q) => (format!("{}{}", &src[..i], &after[q..]).into(), &after[..q]),
        None => (src[..i].into(), after),
    }
}

/// Normalises a subdirectory inside a package; errors if it leads outside the package.
fn clean_subdir(raw: &str) -> Result<String, String> {
    let raw_slashed = raw.replace('\\', "/");
    let mut out: Vec<&str> = Vec::new();
    for part in raw_slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err(format!(
                        "the subdirectory path {raw:?} leads outside of the module package"
                    ));
                }
            }
            p => out.push(p),
        }
    }
    Ok(out.join("/"))
}

fn url_scheme(s: &str) -> Option<String> {
    let i = s.find("://")?;
    let scheme = &s[..i];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        Some(scheme.to_ascii_lowercase())
    } else {
        None
    }
}

/// `[user@]host:path` (no `/` before the `:`, not a URL). Returns (user, host, path).
fn scp_like(s: &str) -> Option<(Option<&str>, &str, &str)> {
    if s.contains("://") {
        return None;
    }
    let colon = s.find(':')?;
    let head = &s[..colon];
    if head.contains('/') || head.is_empty() {
        return None;
    }
    let (user, host) = match head.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, head),
    };
    if host.is_empty()
        || user == Some("")
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return None;
    }
    let path = s[colon + 1..].trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    Some((user, host, path))
}

/// Parses the Git part of a source: `addr` is the address with the query attached and without
/// the `//subdir` and the forced getter. `forced` is whether `git::` was written.
fn parse_git(
    whole: &str,
    addr: &str,
    mut subdir: String,
    forced: bool,
) -> Result<ModuleSource, String> {
    let (base, query) = match addr.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (addr, None),
    };
    if base.is_empty() {
        return Err(format!(
            "the module source {whole:?} has no repository address after \"git::\"; {ACCEPTED_FORMS}"
        ));
    }

    let url = if let Some(rest) = base.strip_prefix("github.com/") {
        // go-getter's GitHub detector: the first two path components are the repository, the
        // rest (if any) is a subdirectory.
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() < 2 || parts[0].is_empty() || parts[1].is_empty() {
            return Err(format!(
                "the GitHub module source {whole:?} must name an owner and a repository, as in \
                 github.com/org/repo//subdir?ref=v1"
            ));
        }
        if parts.len() > 2 {
            let extra = parts[2..].join("/");
            let joined = if subdir.is_empty() {
                extra
            } else {
                format!("{extra}/{subdir}")
            };
            subdir =
                clean_subdir(&joined).map_err(|e| format!("in module source {whole:?}: {e}"))?;
        }
        let repo = parts[1];
        let repo = if repo.ends_with(".git") {
            repo.to_string()
        } else {
            format!("{repo}.git")
        };
        format!("https://github.com/{}/{repo}", parts[0])
    } else if let Some(scheme) = url_scheme(base) {
        let rest = &base[scheme.len() + 3..];
        match scheme.as_str() {
            "https" | "http" | "ssh" | "git" => {
                let host = rest.split('/').next().unwrap_or("");
                let host = host.rsplit('@').next().unwrap_or("");
                if host.is_empty() || host.starts_with(':') {
                    return Err(format!(
                        "the Git URL in module source {whole:?} has no host name"
                    ));
                }
                let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
                if path.trim_matches('/').is_empty() {
                    return Err(format!(
                        "the Git URL in module source {whole:?} has no repository path"
                    ));
                }
                format!("{scheme}://{rest}")
            }
            "file" => {
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                if !path.starts_with('/') {
                    return Err(format!(
                        "the file URL in module source {whole:?} must be absolute, as in \
                         git::file:///srv/git/modules.git (three slashes)"
                    ));
                }
                if path.trim_matches('/').is_empty() {
                    return Err(format!(
                        "the file URL in module source {whole:?} has no repository path"
                    ));
                }
                format!("file://{path}")
            }
            other => {
                return Err(format!(
                    "the module source {whole:?} uses the URL scheme {other:?}, which Git \
                     sources do not support; use https://, ssh://, git://, file:// or the \
                     scp-like git@host:org/repo.git"
                ))
            }
        }
    } else if let Some((user, host, path)) =
        scp_like(base).filter(|_| forced || base.starts_with("git@"))
    {
        match user {
            Some(u) => format!("ssh://{u}@{host}/{path}"),
            None => format!("ssh://{host}/{path}"),
        }
    } else {
        return Err(format!(
            "the module source {whole:?} is not a Git URL; {ACCEPTED_FORMS}"
        ));
    };

    let mut git_ref = None;
    let mut depth = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v)
            .ok_or_else(|| format!("in module source {whole:?}: invalid %-escape in {pair:?}"))?;
        match k {
            "ref" => {
                if v.is_empty() {
                    return Err(format!(
                        "in module source {whole:?}: ?ref= is empty; give a tag, branch or \
                         commit id, or leave it out for the default branch"
                    ));
                }
                if git_ref.replace(v).is_some() {
                    return Err(format!("in module source {whole:?}: ?ref= is given twice"));
                }
            }
            "depth" => match v.parse::<u32>() {
                Ok(d) if d > 0 => depth = Some(d),
                _ => {
                    return Err(format!(
                        "in module source {whole:?}: ?depth= must be a positive whole number, \
                         not {v:?}"
                    ))
                }
            },
            "sshkey" => {
                return Err(format!(
                    "in module source {whole:?}: ?sshkey= is not supported; load the key into \
                     ssh-agent or set SSH_KEY_PATH"
                ))
            }
            _ => {
                return Err(format!(
                    "in module source {whole:?}: unknown query argument {k:?}; Git sources \
                     accept ?ref=<tag, branch or commit> and ?depth=<n>"
                ))
            }
        }
    }

    Ok(ModuleSource::Git(GitSource {
        url,
        subdir,
        git_ref,
        depth,
    }))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' | '&' | '=' | '+' | '#' | '?' | ' ' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Terraform's registry address parser. `None` means "not a registry address" (the caller then
/// tries the other forms, as Terraform does).
fn parse_registry(s: &str) -> Option<RegistrySource> {
    let (addr, subdir) = split_subdir(s);
    let subdir = clean_subdir(subdir).ok()?;
    let parts: Vec<&str> = addr.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (None, &parts[..]),
        4 => {
            let h = parts[0];
            if !valid_host(h) || h == "github.com" || h == "bitbucket.org" {
                return None;
            }
            (Some(h.to_ascii_lowercase()), &parts[1..])
        }
        _ => return None,
    };
    let name_ok = |n: &str| {
        let b = n.as_bytes();
        (1..=64).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    };
    let system_ok = |n: &str| {
        (1..=64).contains(&n.len())
            && n.bytes()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    };
    if !name_ok(rest[0]) || !name_ok(rest[1]) || !system_ok(rest[2]) {
        return None;
    }
    Some(RegistrySource {
        host,
        namespace: rest[0].into(),
        name: rest[1].into(),
        system: rest[2].into(),
        subdir,
    })
}

fn valid_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    name.contains('.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

impl ModuleSource {
    /// Whether this is a local path (resolved relative to the calling module).
    pub fn is_local(&self) -> bool {
        matches!(self, ModuleSource::Local(_))
    }
}

impl fmt::Display for LocalSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl GitSource {
    /// The package address: the repository and the ref, without the subdirectory. Two sources
    /// with the same package address share one fetch.
    pub fn package_addr(&self) -> String {
        GitSource {
            subdir: String::new(),
            ..self.clone()
        }
        .to_string()
    }
}

impl fmt::Display for GitSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "git::{}", self.url)?;
        if !self.subdir.is_empty() {
            write!(f, "//{}", self.subdir)?;
        }
        let mut sep = '?';
        if let Some(r) = &self.git_ref {
            write!(f, "{sep}ref={}", percent_encode_query(r))?;
            sep = '&';
        }
        if let Some(d) = self.depth {
            write!(f, "{sep}depth={d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for RegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = &self.host {
            write!(f, "{h}/")?;
        }
        write!(f, "{}/{}/{}", self.namespace, self.name, self.system)?;
        if !self.subdir.is_empty() {
            write!(f, "//{}", self.subdir)?;
        }
        Ok(())
    }
}

impl fmt::Display for OtherSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

impl fmt::Display for ModuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleSource::Local(l) => l.fmt(f),
            ModuleSource::Git(g) => g.fmt(f),
            ModuleSource::Registry(r) => r.fmt(f),
            ModuleSource::Other(o) => o.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(s: &str) -> GitSource {
        match parse(s) {
            Ok(ModuleSource::Git(g)) => g,
            other => panic!("{s}: expected a git source, got {other:?}"),
        }
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Err(e) => e,
            Ok(v) => panic!("{s}: expected an error, got {v:?}"),
        }
    }

    fn roundtrip(s: &str) {
        let a = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let printed = a.to_string();
        let b = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(a, b, "{s} printed as {printed}");
    }

    #[test]
    fn local_paths() {
        let cases = [
            ("./x", "./x"),
            ("./modules/net/", "./modules/net"),
            ("../shared", "../shared"),
            ("./a/../b", "./b"),
            ("./a/./b//c", "./a/b/c"),
            ("../../x", "../../x"),
            ("./../x", "../x"),
            (".\\win\\path", "./win/path"),
            ("..\\up", "../up"),
            ("./", "."),
        ];
        for (input, want) in cases {
            match parse(input) {
                Ok(ModuleSource::Local(l)) => assert_eq!(l.path(), want, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
            roundtrip(input);
        }
    }

    #[test]
    fn local_path_errors() {
        let e = err("modules/net");
        assert!(e.contains("\"./modules/net\""), "{e}");
        assert!(e.contains("must start with ./ or ../"), "{e}");
        let e = err("x");
        assert!(e.contains("\"./x\""), "{e}");
        let e = err("/abs/path/mod");
        assert!(e.contains("absolute path"), "{e}");
        assert!(e.contains("git::file:///abs/path/mod"), "{e}");
        assert!(err("C:\\mods\\net").contains("absolute path"));
        assert!(err("~/mods").contains("absolute path"));
        assert!(err("").contains("empty"));
        assert!(err(" ./x").contains("whitespace"));
    }

    #[test]
    fn git_https() {
        let g = git("git::https://example.com/org/repo.git//sub/dir?ref=v1");
        assert_eq!(g.url, "https://example.com/org/repo.git");
        assert_eq!(g.subdir, "sub/dir");
        assert_eq!(g.git_ref.as_deref(), Some("v1"));
        assert_eq!(g.depth, None);
        assert_eq!(
            g.to_string(),
            "git::https://example.com/org/repo.git//sub/dir?ref=v1"
        );
        assert_eq!(
            g.package_addr(),
            "git::https://example.com/org/repo.git?ref=v1"
        );

        let g = git("git::https://example.com/org/repo.git");
        assert_eq!(g.subdir, "");
        assert_eq!(g.git_ref, None);

        // The query may come before the subdir is split (go-getter moves it to the URL).
        let g = git("git::https://example.com/repo.git//a/./b/?ref=main&depth=1");
        assert_eq!(g.subdir, "a/b");
        assert_eq!(g.depth, Some(1));
        assert_eq!(
            g.to_string(),
            "git::https://example.com/repo.git//a/b?ref=main&depth=1"
        );

        let g = git("git::https://example.com/repo.git?ref=feature%2Fx");
        assert_eq!(g.git_ref.as_deref(), Some("feature/x"));
        let g = git("git::https://example.com/repo.git?ref=feature/x");
        assert_eq!(g.git_ref.as_deref(), Some("feature/x"));

        let g = git("git::http://10.0.0.1:8080/repo//m");
        assert_eq!(g.url, "http://10.0.0.1:8080/repo");
        assert_eq!(g.subdir, "m");
    }

    #[test]
    fn git_ssh() {
        let g = git("git::ssh://git@example.com/org/repo.git?ref=abc123");
        assert_eq!(g.url, "ssh://git@example.com/org/repo.git");
        assert_eq!(g.git_ref.as_deref(), Some("abc123"));

        let g = git("git::ssh://git@example.com:2222/org/repo.git//m?ref=v1");
        assert_eq!(g.url, "ssh://git@example.com:2222/org/repo.git");
        assert_eq!(g.subdir, "m");
    }

    #[test]
    fn git_scp_like() {
        let g = git("git::git@github.com:org/repo.git//dir");
        assert_eq!(g.url, "ssh://git@github.com/org/repo.git");
        assert_eq!(g.subdir, "dir");
        assert_eq!(g.git_ref, None);

        let g = git("git@github.com:org/repo.git");
        assert_eq!(g.url, "ssh://git@github.com/org/repo.git");
        assert_eq!(g.subdir, "");

        let g = git("git@github.com:org/repo.git//dir/sub?ref=v2");
        assert_eq!(g.url, "ssh://git@github.com/org/repo.git");
        assert_eq!(g.subdir, "dir/sub");
        assert_eq!(g.git_ref.as_deref(), Some("v2"));
        assert_eq!(
            g.to_string(),
            "git::ssh://git@github.com/org/repo.git//dir/sub?ref=v2"
        );

        // Another user only with an explicit git:: (go-getter's detector requires "git@").
        let g = git("git::deploy@git.example.com:infra/mods.git");
        assert_eq!(g.url, "ssh://deploy@git.example.com/infra/mods.git");
        assert!(parse("deploy@git.example.com:infra/mods.git").is_err());
    }

    #[test]
    fn git_file() {
        let g = git("git::file:///abs/path/repo.git//sub?ref=v1");
        assert_eq!(g.url, "file:///abs/path/repo.git");
        assert_eq!(g.subdir, "sub");
        assert_eq!(g.git_ref.as_deref(), Some("v1"));
        assert_eq!(g.to_string(), "git::file:///abs/path/repo.git//sub?ref=v1");

        let g = git("git::file:///srv/repo");
        assert_eq!(g.subdir, "");
        let e = err("git::file://relative/repo.git");
        assert!(e.contains("must be absolute"), "{e}");
    }

    #[test]
    fn github_shorthand() {
        let g = git("github.com/org/repo//dir?ref=x");
        assert_eq!(g.url, "https://github.com/org/repo.git");
        assert_eq!(g.subdir, "dir");
        assert_eq!(g.git_ref.as_deref(), Some("x"));

        let g = git("github.com/org/repo");
        assert_eq!(g.url, "https://github.com/org/repo.git");
        assert_eq!(g.subdir, "");

        let g = git("github.com/org/repo.git?ref=v1");
        assert_eq!(g.url, "https://github.com/org/repo.git");
        assert_eq!(g.git_ref.as_deref(), Some("v1"));

        // Components after the repository are a subdirectory, as in go-getter.
        let g = git("github.com/org/repo/modules/x?ref=v1");
        assert_eq!(g.subdir, "modules/x");
        assert_eq!(g.git_ref.as_deref(), Some("v1"));

        let g = git("git::github.com/org/repo//m");
        assert_eq!(g.url, "https://github.com/org/repo.git");
        assert_eq!(g.subdir, "m");

        assert!(err("github.com/org").contains("owner and a repository"));
    }

    #[test]
    fn git_errors() {
        let e = err("git::https://example.com/repo.git?ref=v1&foo=bar");
        assert!(e.contains("unknown query argument \"foo\""), "{e}");
        assert!(err("git::https://example.com/repo.git?depth=0").contains("depth"));
        assert!(err("git::https://example.com/repo.git?depth=x").contains("depth"));
        assert!(err("git::https://example.com/repo.git?ref=").contains("empty"));
        assert!(err("git::https://example.com/repo.git?ref=a&ref=b").contains("twice"));
        assert!(err("git::https://example.com/repo.git?sshkey=AAAA").contains("SSH_KEY_PATH"));
        assert!(err("git::https://example.com/repo.git//../x").contains("outside"));
        assert!(err("git::https:///repo.git").contains("no host"));
        assert!(err("git::https://example.com").contains("no repository path"));
        assert!(err("git::").contains("no repository address"));
        assert!(err("git::ftp://example.com/repo").contains("ftp"));
        assert!(err("git::not a url").contains("not a Git URL"));
        assert!(err("ssh://git@example.com/repo.git").contains("git::ssh://"));
        assert!(err("foo::bar").contains("unknown getter"));
        assert!(err("git::https://example.com/r.git?ref=%zz").contains("%-escape"));
    }

    #[test]
    fn registry() {
        match parse("hashicorp/consul/aws") {
            Ok(ModuleSource::Registry(r)) => {
                assert_eq!(r.host, None);
                assert_eq!(
                    (r.namespace.as_str(), r.name.as_str(), r.system.as_str()),
                    ("hashicorp", "consul", "aws")
                );
                assert_eq!(r.subdir, "");
            }
            other => panic!("{other:?}"),
        }
        match parse("app.terraform.io/example-corp/k8s-cluster/azurerm//modules/x") {
            Ok(ModuleSource::Registry(r)) => {
                assert_eq!(r.host.as_deref(), Some("app.terraform.io"));
                assert_eq!(r.subdir, "modules/x");
                assert_eq!(
                    r.to_string(),
                    "app.terraform.io/example-corp/k8s-cluster/azurerm//modules/x"
                );
            }
            other => panic!("{other:?}"),
        }
        // Not registry addresses: github.com is reserved; an upper-case system is invalid.
        assert!(matches!(
            parse("github.com/org/repo/sub"),
            Ok(ModuleSource::Git(_))
        ));
        assert!(parse("ns/name/AWS").is_err());
        roundtrip("hashicorp/consul/aws");
        roundtrip("terraform-aws-modules/vpc/aws//modules/vpc-endpoints");
    }

    #[test]
    fn other_getters() {
        let cases = [
            (
                "s3::https://s3-eu-west-1.amazonaws.com/bucket/vpc.zip",
                "s3",
            ),
            ("bucket.s3.amazonaws.com/vpc.zip", "s3"),
            ("bucket.s3-eu-west-1.amazonaws.com/vpc.zip", "s3"),
            (
                "gcs::https://www.googleapis.com/storage/v1/bucket/vpc.zip",
                "gcs",
            ),
            ("www.googleapis.com/storage/v1/bucket/vpc.zip", "gcs"),
            ("https://example.com/vpc-module.zip", "http"),
            ("https://example.com/org/repo.git", "http"),
            ("http::https://example.com/vpc", "http"),
            ("hg::http://example.com/vpc.hg", "hg"),
            ("bitbucket.org/org/repo", "bitbucket"),
            ("file::/srv/mods/vpc", "file"),
        ];
        for (input, getter) in cases {
            match parse(input) {
                Ok(ModuleSource::Other(o)) => assert_eq!(o.getter, getter, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
            roundtrip(input);
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for s in [
            "::",
            "a::",
            "::b",
            "git::",
            "git::://",
            "git::https://",
            "git::@:",
            "git@:x",
            "git@h:",
            "%",
            "git::https://h/r?ref=%",
            "git::https://h/r?ref=%+1",
            "é",
            "./é",
            "github.com/",
            "github.com//",
            "github.com/é/ü//x?ref=ü",
            "git::é@ü:x",
            "s3::",
            "a/b/c/d/e",
            "a//b",
            "//",
            "?",
            "??ref=x",
            "x:y",
            "C:",
            "\\\\server\\share",
            "git::file://",
            "git::file:///",
            "git::ssh://:22/x",
            "h.example.com/a/b/c//../x",
        ] {
            let _ = parse(s);
        }
        assert!(err("git::https://h/r?ref=%+1").contains("%-escape"));
    }

    #[test]
    fn display_roundtrips() {
        for s in [
            "./x",
            "git::https://example.com/org/repo.git//sub/dir?ref=v1",
            "git::ssh://git@host/org/repo.git?ref=main&depth=3",
            "git@github.com:org/repo.git//dir",
            "git::file:///abs/path/repo.git//sub?ref=v1",
            "github.com/org/repo//dir?ref=x",
            "git::https://example.com/r.git?ref=we%26ird%3Dref",
        ] {
            roundtrip(s);
        }
        assert_eq!(
            parse("github.com/org/repo//dir?ref=x")
                .map(|s| s.to_string())
                .ok(),
            Some("git::https://github.com/org/repo.git//dir?ref=x".to_string())
        );
        let g = git("git::https://example.com/r.git?ref=we%26ird%3Dref");
        assert_eq!(g.git_ref.as_deref(), Some("we&ird=ref"));
    }
}
