//! Fetching one Git package with git2: resolve the ref against the remote's advertised refs,
//! fetch only what is needed into a bare repository, and check a commit's tree out into a
//! directory (without a `.git`).

use git2::{
    build::CheckoutBuilder, AutotagOption, Cred, CredentialType, Direction, ErrorClass, ErrorCode,
    FetchOptions, Oid, RemoteCallbacks, Repository,
};
use std::path::Path;

/// Why a fetch failed, with a message and a hint for the user.
#[derive(Debug)]
pub(crate) struct FetchError {
    pub kind: FetchErrorKind,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchErrorKind {
    Unreachable,
    Auth,
    UnknownRef,
    Other,
}

const ACCESS_HINT: &str = "check that the URL is right and reachable from this machine. For a \
    private repository over https set SAKK_GIT_TOKEN (or GITHUB_TOKEN for github.com) to an \
    access token; over ssh, load a key into ssh-agent or set SSH_KEY_PATH";

fn connect_error(url: &str, e: &git2::Error) -> FetchError {
    let auth = e.code() == ErrorCode::Auth
        || e.class() == ErrorClass::Ssh && e.message().contains("auth")
        || e.message().contains("authentication");
    FetchError {
        kind: if auth {
            FetchErrorKind::Auth
        } else {
            FetchErrorKind::Unreachable
        },
        message: if auth {
            format!("authentication to {url} failed: {}", e.message())
        } else {
            format!("cannot reach the Git repository {url}: {}", e.message())
        },
        hint: ACCESS_HINT.to_string(),
    }
}

fn other_error(what: &str, url: &str, e: &git2::Error) -> FetchError {
    FetchError {
        kind: FetchErrorKind::Other,
        message: format!("{what} {url} failed: {}", e.message()),
        hint: "re-run `sakk init`; if it keeps failing, check the repository with `git clone`"
            .to_string(),
    }
}

/// Credentials from the environment, tried in turn as libgit2 asks again after each failure.
/// Tokens are never logged or put into error messages.
fn callbacks<'a>(url: &str) -> RemoteCallbacks<'a> {
    let github = url_host(url).is_some_and(|h| h == "github.com" || h.ends_with(".github.com"));
    let mut token_tried = false;
    let mut default_tried = false;
    let mut ssh_attempt = 0usize;
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_url, username_from_url, allowed| {
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !token_tried {
            token_tried = true;
            let token = env_nonempty("SAKK_GIT_TOKEN")
                .or_else(|| github.then(|| env_nonempty("GITHUB_TOKEN")).flatten());
            if let Some(token) = token {
                let user = username_from_url.unwrap_or("x-access-token");
                return Cred::userpass_plaintext(user, &token);
            }
        }
        let user = username_from_url.unwrap_or("git");
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(user);
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            // 0: the agent; then SSH_KEY_PATH; then the default key files.
            loop {
                let attempt = ssh_attempt;
                ssh_attempt += 1;
                match attempt {
                    0 => {
                        if std::env::var_os("SSH_AUTH_SOCK").is_some() {
                            return Cred::ssh_key_from_agent(user);
                        }
                    }
                    n => {
                        let Some(key) = ssh_key_candidates().into_iter().nth(n - 1) else {
                            break;
                        };
                        if key.is_file() {
                            return Cred::ssh_key(user, None, &key, None);
                        }
                    }
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

fn ssh_key_candidates() -> Vec<std::path::PathBuf> {
    let mut keys = Vec::new();
    if let Some(p) = std::env::var_os("SSH_KEY_PATH").filter(|p| !p.is_empty()) {
        keys.push(p.into());
    }
    if let Some(home) = std::env::var_os("HOME").filter(|p| !p.is_empty()) {
        let ssh = Path::new(&home).join(".ssh");
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            keys.push(ssh.join(name));
        }
    }
    keys
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit('@').next()?;
    Some(host.split(':').next().unwrap_or(host))
}

fn looks_like_commit(r: &str) -> bool {
    (4..=40).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_hexdigit())
}

const FETCHED: &str = "refs/sakk/fetched";

/// Fetches `git_ref` (a tag, a branch, a commit id, or the default branch if `None`) of the
/// repository at `url` into a new bare repository at `dest`, and returns the commit id.
pub(crate) fn fetch(
    url: &str,
    git_ref: Option<&str>,
    depth: Option<u32>,
    dest: &Path,
) -> Result<Oid, FetchError> {
    let repo = Repository::init_bare(dest)
        .map_err(|e| other_error("creating a repository for", url, &e))?;
    let mut remote = repo
        .remote_anonymous(url)
        .map_err(|e| other_error("setting up the remote", url, &e))?;

    // Ask the remote what it has (like `git ls-remote`), to resolve the ref precisely and to
    // name the available refs when it is not there.
    let (heads, default_branch) = {
        let conn = remote
            .connect_auth(Direction::Fetch, Some(callbacks(url)), None)
            .map_err(|e| connect_error(url, &e))?;
        let heads: Vec<(String, Oid)> = conn
            .list()
            .map_err(|e| connect_error(url, &e))?
            .iter()
            .map(|h| (h.name().to_string(), h.oid()))
            .collect();
        let default_branch = conn
            .default_branch()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_string));
        (heads, default_branch)
    };
    let has = |name: &str| heads.iter().any(|(n, _)| n == name);

    let wanted: Option<String> = match git_ref {
        None => match default_branch {
            Some(b) if has(&b) => Some(b),
            _ => {
                let head = heads.iter().find(|(n, _)| n == "HEAD").map(|(_, o)| *o);
                heads
                    .iter()
                    .find(|(n, o)| n.starts_with("refs/heads/") && Some(*o) == head)
                    .map(|(n, _)| n.clone())
                    .or_else(|| head.map(|_| "HEAD".to_string()))
            }
        },
        Some(r) => [
            r.starts_with("refs/").then(|| r.to_string()),
            Some(format!("refs/tags/{r}")),
            Some(format!("refs/heads/{r}")),
        ]
        .into_iter()
        .flatten()
        .find(|n| has(n)),
    };

    let mut opts = FetchOptions::new();
    opts.remote_callbacks(callbacks(url));
    opts.download_tags(AutotagOption::None);
    let shallow = depth.filter(|_| !url.starts_with("file://"));

    let oid = match (&wanted, git_ref) {
        (Some(name), _) => {
            if let Some(d) = shallow {
                opts.depth(i32::try_from(d).unwrap_or(i32::MAX));
            }
            let refspec = format!("+{name}:{FETCHED}");
            remote
                .fetch(&[refspec.as_str()], Some(&mut opts), None)
                .map_err(|e| connect_error(url, &e))?;
            let id = repo
                .refname_to_id(FETCHED)
                .map_err(|e| other_error("reading what was fetched from", url, &e))?;
            repo.find_object(id, None)
                .and_then(|o| o.peel_to_commit())
                .map(|c| c.id())
                .map_err(|_| FetchError {
                    kind: FetchErrorKind::UnknownRef,
                    message: format!("{name} in {url} does not point to a commit"),
                    hint: "use a tag, a branch or a commit id".to_string(),
                })?
        }
        (None, Some(r)) if looks_like_commit(r) => {
            // A commit id: fetch every branch and tag, then look the commit up.
            remote
                .fetch(
                    &[
                        "+refs/heads/*:refs/sakk/heads/*",
                        "+refs/tags/*:refs/sakk/tags/*",
                    ],
                    Some(&mut opts),
                    None,
                )
                .map_err(|e| connect_error(url, &e))?;
            repo.revparse_single(r)
                .and_then(|o| o.peel_to_commit())
                .map(|c| c.id())
                .map_err(|_| unknown_ref(url, r, &heads))?
        }
        (None, Some(r)) => return Err(unknown_ref(url, r, &heads)),
        (None, None) => {
            return Err(FetchError {
                kind: FetchErrorKind::UnknownRef,
                message: format!("the repository {url} has no default branch (is it empty?)"),
                hint: "push a branch to it, or give ?ref=<tag or branch> in the source".into(),
            })
        }
    };
    Ok(oid)
}

fn unknown_ref(url: &str, r: &str, heads: &[(String, Oid)]) -> FetchError {
    let list = |prefix: &str| {
        let mut names: Vec<&str> = heads
            .iter()
            .filter_map(|(n, _)| n.strip_prefix(prefix))
            .filter(|n| !n.ends_with("^{}"))
            .collect();
        names.sort_unstable();
        names.dedup();
        let more = names.len().saturating_sub(15);
        let mut s = names.into_iter().take(15).collect::<Vec<_>>().join(", ");
        if s.is_empty() {
            s.push_str("(none)");
        }
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    };
    FetchError {
        kind: FetchErrorKind::UnknownRef,
        message: format!("the ref {r:?} is not a tag, branch or commit of {url}"),
        hint: format!(
            "fix ?ref= in the source. Tags: {}. Branches: {}",
            list("refs/tags/"),
            list("refs/heads/")
        ),
    }
}

/// Writes the tree of `commit` (from the bare repository at `repo_dir`) into `target`.
pub(crate) fn checkout(repo_dir: &Path, commit: Oid, target: &Path) -> Result<(), String> {
    let repo = Repository::open_bare(repo_dir).map_err(|e| e.message().to_string())?;
    let commit = repo
        .find_commit(commit)
        .map_err(|e| e.message().to_string())?;
    let tree = commit.tree().map_err(|e| e.message().to_string())?;
    std::fs::create_dir_all(target).map_err(|e| e.to_string())?;
    let mut cb = CheckoutBuilder::new();
    cb.target_dir(target)
        .force()
        .recreate_missing(true)
        .update_index(false);
    repo.checkout_tree(tree.as_object(), Some(&mut cb))
        .map_err(|e| e.message().to_string())
}

/// The names of the top-level directories of a checked-out tree, for hints.
pub(crate) fn top_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
