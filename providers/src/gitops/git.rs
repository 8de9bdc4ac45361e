//! The Git side: a bare cache of the repository under `.sakk/gitops/`, fetches, trees built from
//! sakk's own file changes on top of the remote branch, one commit per apply, push with bounded
//! retries (fetch and re-apply on a rejected push), and commits kept locally when a push fails.
//!
//! Credentials: https takes a token from `token_env` (default `SAKK_GIT_TOKEN`, or `GITHUB_TOKEN`
//! for github.com); ssh uses the agent, then `ssh_key_file` / `SSH_KEY_PATH`, then the default key
//! files. Tokens and URL passwords never appear in messages.

use super::guard::Secrets;
use super::render::header_address;
use engine::provider::ProviderError;
use git2::{
    Commit, Cred, CredentialType, Direction, ErrorClass, ErrorCode, FetchOptions, ObjectType, Oid,
    PushOptions, RemoteCallbacks, Repository, Signature, Tree,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the repository is and how to reach it.
#[derive(Clone)]
pub struct RemoteSpec {
    /// As configured (may hold credentials: never print it, use `display`).
    pub url: String,
    pub display: String,
    pub token_env: Option<String>,
    pub ssh_key_file: Option<PathBuf>,
}

impl std::fmt::Debug for RemoteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

/// The URL without user and password (`https://***@host/x` becomes `https://host/x`).
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        format!("{scheme}://{host}{path}")
    } else {
        url.to_string()
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn callbacks(spec: &RemoteSpec) -> RemoteCallbacks<'static> {
    let github = spec.display.contains("://github.com/") || spec.display.contains(".github.com/");
    let token_env = spec.token_env.clone();
    let key_file = spec.ssh_key_file.clone();
    let mut token_tried = false;
    let mut default_tried = false;
    let mut ssh_attempt = 0usize;
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_url, user_from_url, allowed| {
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !token_tried {
            token_tried = true;
            let token = match &token_env {
                Some(name) => env_nonempty(name),
                None => env_nonempty("SAKK_GIT_TOKEN")
                    .or_else(|| github.then(|| env_nonempty("GITHUB_TOKEN")).flatten()),
            };
            if let Some(token) = token {
                return Cred::userpass_plaintext(user_from_url.unwrap_or("x-access-token"), &token);
            }
        }
        let user = user_from_url.unwrap_or("git");
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(user);
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            let mut keys: Vec<PathBuf> = key_file.iter().cloned().collect();
            if let Some(p) = std::env::var_os("SSH_KEY_PATH").filter(|p| !p.is_empty()) {
                keys.push(p.into());
            }
            if let Some(home) = std::env::var_os("HOME").filter(|p| !p.is_empty()) {
                for n in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                    keys.push(Path::new(&home).join(".ssh").join(n));
                }
            }
            loop {
                let attempt = ssh_attempt;
                ssh_attempt += 1;
                if attempt == 0 {
                    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
                        return Cred::ssh_key_from_agent(user);
                    }
                    continue;
                }
                let Some(k) = keys.get(attempt - 1) else {
                    break;
                };
                if k.is_file() {
                    return Cred::ssh_key(user, None, k, None);
                }
            }
        }
        if allowed.contains(CredentialType::DEFAULT) && !default_tried {
            default_tried = true;
            return Cred::default();
        }
        Err(git2::Error::new(
            ErrorCode::Auth,
            ErrorClass::Callback,
            "no (more) credentials to try: authentication required",
        ))
    });
    cb
}

const ACCESS_HINT: &str = "check the repository URL and that it is reachable; over https set \
    SAKK_GIT_TOKEN (or the variable named by token_env) to an access token, over ssh load a key \
    into ssh-agent or set ssh_key_file";

fn git_error(what: &str, spec: &RemoteSpec, e: &git2::Error) -> ProviderError {
    // libgit2 messages may quote the URL it was given; put the redacted one in its place.
    let msg = e.message().replace(&spec.url, &spec.display);
    ProviderError::new(format!("{what} {} failed", spec.display))
        .detail(msg)
        .hint(ACCESS_HINT)
}

fn local_error(what: &str, e: &git2::Error) -> ProviderError {
    ProviderError::new(format!("{what} failed"))
        .detail(e.message().to_string())
        .hint("the cache under .sakk/gitops/ can be deleted safely when no unpushed commit is kept there; it is cloned again")
}

pub fn tracking_ref(branch: &str) -> String {
    format!("refs/remotes/origin/{branch}")
}
fn pending_ref(branch: &str) -> String {
    format!("refs/sakk/pending/{branch}")
}
fn pending_base_ref(branch: &str) -> String {
    format!("refs/sakk/pending-base/{branch}")
}

pub fn ref_oid(repo: &Repository, name: &str) -> Option<Oid> {
    repo.refname_to_id(name).ok()
}

fn set_ref(repo: &Repository, name: &str, oid: Option<Oid>) -> Result<(), ProviderError> {
    match oid {
        Some(o) => repo
            .reference(name, o, true, "sakk")
            .map(|_| ())
            .map_err(|e| local_error("updating the cache", &e)),
        None => {
            if let Ok(mut r) = repo.find_reference(name) {
                r.delete()
                    .map_err(|e| local_error("updating the cache", &e))?;
            }
            Ok(())
        }
    }
}

/// Opens (or creates) the bare cache repository.
pub fn open_cache(dir: &Path) -> Result<Repository, ProviderError> {
    match Repository::open_bare(dir) {
        Ok(r) => Ok(r),
        Err(_) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                ProviderError::new(format!("creating {} failed", dir.display()))
                    .detail(e.to_string())
            })?;
            Repository::init_bare(dir).map_err(|e| local_error("creating the Git cache", &e))
        }
    }
}

/// Fetches the given branches into `refs/remotes/origin/*`; a branch the remote does not have
/// loses its tracking ref. Returns each branch's tip.
pub fn fetch(
    repo: &Repository,
    spec: &RemoteSpec,
    branches: &[&str],
) -> Result<BTreeMap<String, Option<Oid>>, ProviderError> {
    let mut remote = repo
        .remote_anonymous(&spec.url)
        .map_err(|e| git_error("reaching", spec, &e))?;
    let heads: BTreeMap<String, Oid> = {
        let conn = remote
            .connect_auth(Direction::Fetch, Some(callbacks(spec)), None)
            .map_err(|e| git_error("connecting to", spec, &e))?;
        conn.list()
            .map_err(|e| git_error("listing the branches of", spec, &e))?
            .iter()
            .map(|h| (h.name().to_string(), h.oid()))
            .collect()
    };
    let mut refspecs = Vec::new();
    let mut tips = BTreeMap::new();
    for b in branches {
        let head = format!("refs/heads/{b}");
        match heads.get(&head) {
            Some(oid) => {
                refspecs.push(format!("+{head}:{}", tracking_ref(b)));
                tips.insert(b.to_string(), Some(*oid));
            }
            None => {
                set_ref(repo, &tracking_ref(b), None)?;
                tips.insert(b.to_string(), None);
            }
        }
    }
    if !refspecs.is_empty() {
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(callbacks(spec));
        fo.download_tags(git2::AutotagOption::None);
        remote
            .fetch(&refspecs, Some(&mut fo), None)
            .map_err(|e| git_error("fetching from", spec, &e))?;
        // Make the tracking refs exactly the advertised tips (also for a force-pushed branch).
        for (b, oid) in &tips {
            if let Some(o) = oid {
                set_ref(repo, &tracking_ref(b), Some(*o))?;
            }
        }
    }
    Ok(tips)
}

/// The text of the file at `path` in `commit`, if there is one.
pub fn read_file(repo: &Repository, commit: Option<Oid>, path: &str) -> Option<String> {
    let c = repo.find_commit(commit?).ok()?;
    let entry = c.tree().ok()?.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

fn file_in_tree(repo: &Repository, tree: Option<&Tree>, path: &str) -> Option<Vec<u8>> {
    let entry = tree?.get_path(Path::new(path)).ok()?;
    if entry.kind() != Some(ObjectType::Blob) {
        return None;
    }
    Some(repo.find_blob(entry.id()).ok()?.content().to_vec())
}

/// Writes `ops` (path -> new content, or None to delete) over `base`, returning the new tree.
fn build_tree(
    repo: &Repository,
    base: Option<&Tree>,
    ops: &[(Vec<&str>, Option<&[u8]>)],
) -> Result<Option<Oid>, git2::Error> {
    let mut tb = repo.treebuilder(base)?;
    let mut i = 0;
    while i < ops.len() {
        let name = ops[i].0[0];
        let mut j = i;
        while j < ops.len() && ops[j].0[0] == name {
            j += 1;
        }
        let group = &ops[i..j];
        if group.len() == 1 && group[0].0.len() == 1 {
            match group[0].1 {
                Some(bytes) => {
                    let blob = repo.blob(bytes)?;
                    tb.insert(name, blob, 0o100644)?;
                }
                None => {
                    if tb.get(name)?.is_some() {
                        tb.remove(name)?;
                    }
                }
            }
        } else {
            let sub_base = match tb.get(name)? {
                Some(e) if e.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(e.id())?),
                _ => None,
            };
            let rest: Vec<(Vec<&str>, Option<&[u8]>)> = group
                .iter()
                .filter(|(segs, _)| segs.len() > 1)
                .map(|(segs, c)| (segs[1..].to_vec(), *c))
                .collect();
            match build_tree(repo, sub_base.as_ref(), &rest)? {
                Some(oid) => {
                    tb.insert(name, oid, 0o040000)?;
                }
                None => {
                    if tb.get(name)?.is_some() {
                        tb.remove(name)?;
                    }
                }
            }
        }
        i = j;
    }
    if tb.is_empty() {
        Ok(None)
    } else {
        tb.write().map(Some)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

impl ChangeKind {
    fn sign(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Changed => '~',
            ChangeKind::Removed => '-',
        }
    }
}

/// The file changes of one apply: what each resource did, and the resulting file operations.
#[derive(Debug, Clone, Default)]
pub struct Staged {
    /// path -> (address, new text or None for a removal).
    pub files: BTreeMap<String, (String, Option<String>)>,
    /// address -> what happened to it.
    pub changes: BTreeMap<String, ChangeKind>,
}

impl Staged {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
    /// Stages a file write (wins over a removal of the same path in this apply).
    pub fn write(&mut self, address: &str, path: &str, text: String) {
        self.files
            .insert(path.to_string(), (address.to_string(), Some(text)));
    }
    /// Stages a removal, unless this apply writes the path (a replacement kept its file name).
    pub fn remove(&mut self, address: &str, path: &str) {
        if !matches!(self.files.get(path), Some((_, Some(_)))) {
            self.files
                .insert(path.to_string(), (address.to_string(), None));
        }
    }
    pub fn record(&mut self, address: &str, kind: ChangeKind) {
        let k = match (self.changes.get(address), kind) {
            (Some(ChangeKind::Added), ChangeKind::Removed)
            | (Some(ChangeKind::Removed), ChangeKind::Added) => ChangeKind::Changed,
            _ => kind,
        };
        self.changes.insert(address.to_string(), k);
    }
}

/// A set of file operations that becomes one commit.
#[derive(Debug, Clone)]
enum Changeset {
    /// This apply's changes.
    Apply(Staged),
    /// A commit kept from an earlier run whose push failed: its message and file operations.
    Kept {
        message: String,
        ops: BTreeMap<String, Option<Vec<u8>>>,
    },
}

/// What publishing needs beyond the changes.
#[derive(Debug, Clone)]
pub struct PublishSettings {
    pub remote: RemoteSpec,
    pub tracked: String,
    pub target: String,
    pub author_name: String,
    pub author_email: String,
    pub attempts: u32,
    pub state_serial: u64,
    pub plan_source: String,
}

/// The outcome of publishing.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The pushed tip, when something was pushed.
    pub pushed: Option<Oid>,
    /// Commits made by this call (kept ones re-made and this apply's).
    pub commits: usize,
    /// Addresses whose files were left alone (a file sakk did not write is in the way; every
    /// address of the apply when a file would hold a secret).
    pub refused: Vec<(String, ProviderError)>,
}

fn kept_changesets(repo: &Repository, target: &str) -> Result<Vec<Changeset>, ProviderError> {
    let Some(tip) = ref_oid(repo, &pending_ref(target)) else {
        return Ok(Vec::new());
    };
    let base = ref_oid(repo, &pending_base_ref(target));
    let mut out = Vec::new();
    let mut cur = repo
        .find_commit(tip)
        .map_err(|e| local_error("reading the kept commit", &e))?;
    loop {
        if Some(cur.id()) == base {
            break;
        }
        let parent = cur.parent(0).ok();
        let old_tree = match &parent {
            Some(p) => Some(
                p.tree()
                    .map_err(|e| local_error("reading the kept commit", &e))?,
            ),
            None => None,
        };
        let new_tree = cur
            .tree()
            .map_err(|e| local_error("reading the kept commit", &e))?;
        let diff = repo
            .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), None)
            .map_err(|e| local_error("reading the kept commit", &e))?;
        let mut ops = BTreeMap::new();
        for d in diff.deltas() {
            let new_path = d
                .new_file()
                .path()
                .and_then(|p| p.to_str())
                .map(str::to_string);
            let old_path = d
                .old_file()
                .path()
                .and_then(|p| p.to_str())
                .map(str::to_string);
            if d.new_file().exists() {
                if let (Some(p), Ok(b)) = (new_path, repo.find_blob(d.new_file().id())) {
                    ops.insert(p, Some(b.content().to_vec()));
                }
            } else if let Some(p) = old_path {
                ops.insert(p, None);
            }
        }
        out.push(Changeset::Kept {
            message: cur.message().unwrap_or("sakk: kept changes").to_string(),
            ops,
        });
        match parent {
            Some(p) => cur = p,
            None => break,
        }
    }
    out.reverse();
    Ok(out)
}

fn apply_message(
    settings: &PublishSettings,
    entries: &[(String, ChangeKind, Vec<String>)],
) -> String {
    let count = |k: ChangeKind| entries.iter().filter(|e| e.1 == k).count();
    let mut m = format!(
        "sakk: {} added, {} changed, {} removed\n\n",
        count(ChangeKind::Added),
        count(ChangeKind::Changed),
        count(ChangeKind::Removed)
    );
    for (addr, kind, paths) in entries {
        m.push_str(&format!("{} {addr} ({})\n", kind.sign(), paths.join(", ")));
    }
    m.push_str(&format!(
        "\nPlan: {}\nState serial: {}\n",
        if settings.plan_source.is_empty() {
            "interactive apply"
        } else {
            &settings.plan_source
        },
        settings.state_serial
    ));
    m
}

/// The new tip, how many commits were made, and the addresses refused.
type Made = (Option<Oid>, usize, Vec<(String, ProviderError)>);

/// Makes the commits of `changesets` on top of `base`; returns the new tip (== base when
/// nothing changes) and the addresses refused.
fn make_commits(
    repo: &Repository,
    settings: &PublishSettings,
    base: Option<Oid>,
    changesets: &[Changeset],
) -> Result<Made, ProviderError> {
    let err = |e: git2::Error| local_error("making the commit", &e);
    let sig = Signature::now(&settings.author_name, &settings.author_email).map_err(|e| {
        ProviderError::new("invalid commit author")
            .detail(e.message().to_string())
            .attribute("author_email")
    })?;
    let mut tip = base;
    let mut commits = 0;
    let mut refused = Vec::new();
    for cs in changesets {
        let parent: Option<Commit> = match tip {
            Some(o) => Some(repo.find_commit(o).map_err(err)?),
            None => None,
        };
        let tree = match &parent {
            Some(p) => Some(p.tree().map_err(err)?),
            None => None,
        };
        // The operations that really change a file, per address; foreign files are left alone.
        let mut ops: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        let mut touched: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let (message, entries) = match cs {
            Changeset::Kept { message, ops: kept } => {
                for (p, c) in kept {
                    let old = file_in_tree(repo, tree.as_ref(), p);
                    if old.as_deref() != c.as_deref() {
                        ops.push((p.clone(), c.clone()));
                    }
                }
                (Some(message.clone()), Vec::new())
            }
            Changeset::Apply(staged) => {
                for (p, (addr, text)) in &staged.files {
                    let old = file_in_tree(repo, tree.as_ref(), p);
                    let new = text.as_ref().map(|t| t.as_bytes().to_vec());
                    if old == new || (old.is_none() && new.is_none()) {
                        continue;
                    }
                    let foreign = old
                        .as_ref()
                        .is_some_and(|o| header_address(&String::from_utf8_lossy(o)).is_none());
                    if foreign {
                        if new.is_some() {
                            refused.push((
                                addr.clone(),
                                ProviderError::new(format!("{p} holds a file sakk did not write"))
                                    .detail("sakk never overwrites files it did not write")
                                    .hint("move that file away, or set path to another file")
                                    .attribute("path"),
                            ));
                        }
                        continue;
                    }
                    ops.push((p.clone(), new));
                    touched.entry(addr.clone()).or_default().insert(p.clone());
                }
                let entries: Vec<(String, ChangeKind, Vec<String>)> = touched
                    .iter()
                    .map(|(a, ps)| {
                        let k = staged
                            .changes
                            .get(a)
                            .copied()
                            .unwrap_or(ChangeKind::Changed);
                        (a.clone(), k, ps.iter().cloned().collect())
                    })
                    .collect();
                (None, entries)
            }
        };
        if ops.is_empty() {
            continue;
        }
        let split: Vec<(Vec<&str>, Option<&[u8]>)> = ops
            .iter()
            .map(|(p, c)| (p.split('/').collect(), c.as_deref()))
            .collect();
        let new_tree = match build_tree(repo, tree.as_ref(), &split).map_err(err)? {
            Some(t) => t,
            None => repo
                .treebuilder(None)
                .and_then(|tb| tb.write())
                .map_err(err)?,
        };
        if tree.as_ref().map(Tree::id) == Some(new_tree) {
            continue;
        }
        let new_tree = repo.find_tree(new_tree).map_err(err)?;
        let msg = message.unwrap_or_else(|| apply_message(settings, &entries));
        let parents: Vec<&Commit> = parent.iter().collect();
        let oid = repo
            .commit(None, &sig, &sig, &msg, &new_tree, &parents)
            .map_err(err)?;
        tip = Some(oid);
        commits += 1;
    }
    Ok((tip, commits, refused))
}

/// Pushes `refs/sakk/pending/<target>` to the remote branch. Ok(None): pushed; Ok(Some(msg)):
/// the remote refused the update.
fn push(
    repo: &Repository,
    spec: &RemoteSpec,
    target: &str,
) -> Result<Option<String>, ProviderError> {
    let mut remote = repo
        .remote_anonymous(&spec.url)
        .map_err(|e| git_error("reaching", spec, &e))?;
    let status: std::sync::Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let mut cb = callbacks(spec);
    let st = status.clone();
    cb.push_update_reference(move |_refname, s| {
        if let Some(s) = s {
            if let Ok(mut g) = st.lock() {
                *g = Some(s.to_string());
            }
        }
        Ok(())
    });
    let mut po = PushOptions::new();
    po.remote_callbacks(cb);
    let refspec = format!("{}:refs/heads/{target}", pending_ref(target));
    match remote.push(&[refspec.as_str()], Some(&mut po)) {
        Ok(()) => Ok(status.lock().ok().and_then(|g| g.clone())),
        Err(e)
            if e.code() == ErrorCode::NotFastForward
                || e.message().contains("fast-forward")
                || e.message().contains("fastforward") =>
        {
            Ok(Some(e.message().to_string()))
        }
        Err(e) => Err(git_error("pushing to", spec, &e)),
    }
}

/// What to do about a value that lost its sensitive mark on the way to a file.
const LOST_MARK_HINT: &str = "a sensitive value lost its mark on the way to the manifest (e.g. \
     through a computed attribute of another resource): do not put the secret in the manifest, \
     commit a reference to it (a Kubernetes Secret's name, an ExternalSecret with an AWS Secrets \
     Manager ARN); if the value is meant to be public, use nonsensitive() where it is set";

/// The refusals of the changesets whose files (paths, texts) or kept commit messages contain a
/// string that is sensitive in this apply ([`Secrets::find`]): (address, error), the address
/// empty for a commit kept from an earlier run. Nothing about the secret itself is said.
fn scan(
    changesets: &[Changeset],
    secrets: &Secrets,
    cache: &Path,
    target: &str,
) -> Vec<(String, ProviderError)> {
    let mut hits = Vec::new();
    for cs in changesets {
        match cs {
            Changeset::Apply(staged) => {
                for (p, (addr, text)) in &staged.files {
                    // A secret in the path: the message names the file by its address only.
                    let (found, file) = match secrets.find_raw(p) {
                        Some(o) => (Some(o), "the path of its file".to_string()),
                        None => (text.as_deref().and_then(|t| secrets.find(t)), p.clone()),
                    };
                    if let Some(origin) = found {
                        hits.push((
                            addr.clone(),
                            ProviderError::new(format!(
                                "{addr}: {file} would contain a secret: nothing was committed"
                            ))
                            .detail(format!(
                                "the file holds a value that is sensitive in this apply (seen as \
                                 {origin}), without its sensitive mark"
                            ))
                            .hint(LOST_MARK_HINT),
                        ));
                    }
                }
            }
            Changeset::Kept { message, ops } => {
                let found = secrets.find_raw(message).or_else(|| {
                    ops.iter().find_map(|(p, c)| {
                        secrets.find_raw(p).or_else(|| {
                            c.as_deref()
                                .and_then(|b| secrets.find(&String::from_utf8_lossy(b)))
                        })
                    })
                });
                if let Some(origin) = found {
                    hits.push((
                        String::new(),
                        ProviderError::new(
                            "a commit kept from an earlier failed push contains a secret: \
                             nothing was committed",
                        )
                        .detail(format!(
                            "the kept commit holds a value that is sensitive in this apply (seen \
                             as {origin})"
                        ))
                        .hint(format!(
                            "drop the kept commit: git --git-dir {} update-ref -d {}, and fix \
                             the configuration; then apply again",
                            cache.display(),
                            pending_ref(target)
                        )),
                    ));
                }
            }
        }
    }
    hits
}

/// Commits this apply's changes (after any commits kept from a failed push) on top of the remote
/// target branch (or the tracked branch when the target does not exist yet) and pushes them,
/// fetching and re-applying on a rejected push, at most `attempts` times. On failure the commits
/// stay in the cache (`refs/sakk/pending/<target>`) for the next run.
///
/// Before anything is committed, every file and kept commit is scanned for `secrets`: when one
/// holds a secret, nothing is committed and every address of the apply is refused.
pub fn publish(
    cache: &Path,
    settings: &PublishSettings,
    staged: Staged,
    secrets: &Secrets,
) -> Result<Published, ProviderError> {
    let repo = open_cache(cache)?;
    let target = settings.target.as_str();
    let mut changesets = kept_changesets(&repo, target)?;
    let addresses: Vec<String> = staged.changes.keys().cloned().collect();
    if !staged.is_empty() {
        changesets.push(Changeset::Apply(staged));
    }
    if changesets.is_empty() {
        return Ok(Published::default());
    }
    let mut refused = scan(&changesets, secrets, cache, target);
    if !refused.is_empty() {
        for a in addresses {
            if !refused.iter().any(|(r, _)| *r == a) {
                refused.push((
                    a.clone(),
                    ProviderError::new(format!(
                        "{a}: not committed: another file of this apply would contain a secret"
                    ))
                    .hint("fix the resource named in the other error, then apply again"),
                ));
            }
        }
        return Ok(Published {
            pushed: None,
            commits: 0,
            refused,
        });
    }
    let attempts = settings.attempts.max(1);
    let mut last_refusal = String::new();
    for _ in 0..attempts {
        let branches: Vec<&str> = if target == settings.tracked {
            vec![target]
        } else {
            vec![settings.tracked.as_str(), target]
        };
        let tips = fetch(&repo, &settings.remote, &branches)?;
        let base = tips
            .get(target)
            .copied()
            .flatten()
            .or_else(|| tips.get(&settings.tracked).copied().flatten());
        let (tip, commits, refused) = make_commits(&repo, settings, base, &changesets)?;
        if tip == base {
            set_ref(&repo, &pending_ref(target), None)?;
            set_ref(&repo, &pending_base_ref(target), None)?;
            return Ok(Published {
                pushed: None,
                commits: 0,
                refused,
            });
        }
        set_ref(&repo, &pending_ref(target), tip)?;
        set_ref(&repo, &pending_base_ref(target), base)?;
        match push(&repo, &settings.remote, target)? {
            None => {
                set_ref(&repo, &tracking_ref(target), tip)?;
                set_ref(&repo, &pending_ref(target), None)?;
                set_ref(&repo, &pending_base_ref(target), None)?;
                return Ok(Published {
                    pushed: tip,
                    commits,
                    refused,
                });
            }
            Some(msg) => {
                last_refusal = msg;
                // Someone else pushed in between: fetch and re-apply on top (next round).
            }
        }
    }
    Err(ProviderError::new(format!(
        "pushing to {} (branch {target}) was refused {attempts} times",
        settings.remote.display
    ))
    .detail(format!(
        "last answer: {last_refusal}; the commit is kept in the cache and pushed by the next apply"
    ))
    .hint("check that the branch accepts pushes from this identity (branch protection, hooks)"))
}

/// On configure: the tip plans read files from — the tracked branch with any commits kept from a
/// failed push re-applied on top (locally, nothing is pushed).
pub fn view_tip(
    repo: &Repository,
    settings: &PublishSettings,
    remote_tip: Option<Oid>,
) -> Result<Option<Oid>, ProviderError> {
    let kept = kept_changesets(repo, &settings.tracked)?;
    if kept.is_empty() {
        return Ok(remote_tip);
    }
    let (tip, _, _) = make_commits(repo, settings, remote_tip, &kept)?;
    if tip == remote_tip {
        // Already on the remote (pushed by an earlier run that stopped before cleaning up).
        set_ref(repo, &pending_ref(&settings.tracked), None)?;
        set_ref(repo, &pending_base_ref(&settings.tracked), None)?;
    } else {
        set_ref(repo, &pending_ref(&settings.tracked), tip)?;
        set_ref(repo, &pending_base_ref(&settings.tracked), remote_tip)?;
    }
    Ok(tip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_refuses_files_paths_and_kept_commits_with_a_secret() {
        let mut secrets = Secrets::default();
        secrets.add("hunter2-secret", "spec.x of argocd_application \"db\"");
        let cache = Path::new("/cache");
        let mut staged = Staged::default();
        staged.write(
            "a.x",
            "apps/a.yaml",
            "# Managed by sakk: a.x\nv: ok\n".into(),
        );
        let clean = [Changeset::Apply(staged.clone())];
        assert!(scan(&clean, &secrets, cache, "main").is_empty());
        staged.write(
            "a.y",
            "apps/b.yaml",
            "# Managed by sakk: a.y\nv: |\n  line\n  hunter2-secret\n".into(),
        );
        staged.write("a.z", "apps/hunter2-secret.yaml", "v: ok\n".into());
        let hits = scan(&[Changeset::Apply(staged)], &secrets, cache, "main");
        let addrs: Vec<&str> = hits.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(addrs, vec!["a.y", "a.z"]);
        assert!(hits[0]
            .1
            .detail
            .contains("spec.x of argocd_application \"db\""));
        assert!(!format!("{hits:?}").contains("hunter2-secret"));
        let kept = Changeset::Kept {
            message: "sakk: 1 added".into(),
            ops: [(
                "apps/c.yaml".to_string(),
                Some(b"v: hunter2-secret\n".to_vec()),
            )]
            .into(),
        };
        let hits = scan(&[kept], &secrets, cache, "main");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "");
        assert!(hits[0]
            .1
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("update-ref -d refs/sakk/pending/main")));
        assert!(scan(&clean, &Secrets::default(), cache, "main").is_empty());
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("https://user:s3cret@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            redact("https://github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(redact("git@github.com:o/r.git"), "git@github.com:o/r.git");
        assert_eq!(redact("/tmp/x"), "/tmp/x");
    }
}
