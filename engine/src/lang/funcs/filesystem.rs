//! Filesystem functions: abspath, basename, dirname, pathexpand, file, filebase64,
//! fileexists, fileset, templatefile (Terraform's lang/funcs/filesystem.go).

use super::{str_arg, FuncError, Function, Impl, Param, Registry};
use crate::lang::ast::{Expr, ExprKind, TemplatePart};
use crate::lang::types::Type;
use crate::lang::value::{go_quote, Attrs, Value};
use crate::vfs::{FileSystem, Metadata, ReadError};
use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Renders a parsed template with `vars` as its only variables and every function but
/// `templatefile` (which must fail with "cannot recursively call templatefile from inside
/// templatefile call"). Implemented by the evaluator.
pub trait TemplateRenderer {
    fn render(&self, tmpl: &Expr, vars: &Attrs) -> Result<Value, FuncError>;
}

/// What the functions that touch the filesystem need to know about the calling module.
#[derive(Clone)]
pub struct FuncCtx {
    /// The module's directory (`path.module`), as Terraform has it: relative paths given to
    /// `file`, `fileset`, ... are joined to it (and then used relative to the process's working
    /// directory, like Go's `os.Open`).
    pub base_dir: PathBuf,
    /// Renders `templatefile` templates; `None` makes `templatefile` fail.
    pub templates: Option<Arc<dyn TemplateRenderer + Send + Sync>>,
    /// What files are read through.
    pub fs: Arc<dyn FileSystem>,
}

impl FuncCtx {
    /// Functions reading the real filesystem.
    pub fn new(base_dir: impl Into<PathBuf>) -> FuncCtx {
        FuncCtx {
            base_dir: base_dir.into(),
            templates: None,
            fs: crate::vfs::os(),
        }
    }

    /// The same, reading files through `fs`.
    pub fn with_fs(self, fs: Arc<dyn FileSystem>) -> FuncCtx {
        FuncCtx { fs, ..self }
    }
}

impl std::fmt::Debug for FuncCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuncCtx")
            .field("base_dir", &self.base_dir)
            .field("templates", &self.templates.is_some())
            .field("fs", &self.fs)
            .finish()
    }
}

/// An implementation that needs the calling module's [`FuncCtx`].
type CtxImpl = fn(&FuncCtx, &[Value]) -> Result<Value, FuncError>;

/// `imp` bound to `ctx`.
fn in_dir(
    ctx: &Arc<FuncCtx>,
    imp: CtxImpl,
) -> impl Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static {
    let ctx = Arc::clone(ctx);
    move |a| imp(&ctx, a)
}

/// Registers this group's functions, the ones that read files working relative to
/// `ctx.base_dir`.
pub fn register(r: &mut Registry, ctx: &Arc<FuncCtx>) {
    let path = || Param::new("path", Type::String);
    let string = |imp: Impl| Function::simple(vec![path()], Type::String, imp);
    r.register("abspath", string(abspath));
    r.register("basename", string(basename));
    r.register("dirname", string(dirname));
    r.register("pathexpand", string(pathexpand));
    r.register(
        "file",
        Function::simple(vec![path()], Type::String, in_dir(ctx, file)),
    );
    r.register(
        "filebase64",
        Function::simple(vec![path()], Type::String, in_dir(ctx, filebase64)),
    );
    r.register(
        "fileexists",
        Function::simple(vec![path()], Type::Bool, in_dir(ctx, fileexists)),
    );
    r.register(
        "fileset",
        Function::simple(
            vec![path(), Param::new("pattern", Type::String)],
            Type::set(Type::String),
            in_dir(ctx, fileset),
        ),
    );
    r.register(
        "templatefile",
        Function::simple(
            vec![path(), Param::new("vars", Type::Dynamic)],
            Type::Dynamic,
            in_dir(ctx, templatefile),
        ),
    );
}

// ---- Go's path handling ----

/// Go's `filepath.Clean` (Unix).
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `filepath.Join` (Unix): joins the non-empty elements and cleans the result.
pub fn join_path(parts: &[&str]) -> String {
    let nonempty: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if nonempty.is_empty() {
        return String::new();
    }
    clean_path(&nonempty.join("/"))
}

/// A path as a string (paths we build are UTF-8 since they come from strings).
pub fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Go's `filepath.Base`.
pub fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Go's `filepath.Dir`.
pub fn go_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean_path(dir)
}

/// The home directory as go-homedir finds it on Unix.
fn home_dir() -> Result<String, String> {
    if let Ok(h) = std::env::var("HOME") {
        if !h.is_empty() {
            return Ok(h);
        }
    }
    // go-homedir falls back to the passwd database and then the shell.
    if let Ok(out) = std::process::Command::new("sh")
        .args(["-c", "cd && pwd"])
        .output()
    {
        let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !s.is_empty() {
            return Ok(s);
        }
    }
    Err("blank output when reading home directory".into())
}

/// go-homedir's `Expand`.
pub fn expand_home(p: &str) -> Result<String, String> {
    if !p.starts_with('~') {
        return Ok(p.to_string());
    }
    if p.len() > 1 && !p[1..].starts_with('/') && !p[1..].starts_with('\\') {
        return Err("cannot expand user-specific home dir".into());
    }
    let home = home_dir()?;
    Ok(join_path(&[&home, &p[1..]]))
}

/// The path Terraform opens for `path`: `~` expanded, joined to the module directory, cleaned.
pub(crate) fn resolve(ctx: &FuncCtx, path: &str) -> Result<String, String> {
    let p = expand_home(path).map_err(|e| format!("failed to expand ~: {e}"))?;
    let p = if p.starts_with('/') {
        p
    } else {
        join_path(&[&path_str(&ctx.base_dir), &p])
    };
    Ok(clean_path(&p))
}

/// Go's text for an OS error (`syscall.Errno.Error()`).
pub(crate) fn go_errno(e: &std::io::Error) -> String {
    let s = match e.raw_os_error() {
        Some(1) => "operation not permitted",
        Some(2) => "no such file or directory",
        Some(5) => "input/output error",
        Some(13) => "permission denied",
        Some(20) => "not a directory",
        Some(21) => "is a directory",
        Some(24) => "too many open files",
        Some(36) => "file name too long",
        Some(40) => "too many levels of symbolic links",
        _ => {
            let m = e.to_string();
            let m = match m.find(" (os error") {
                Some(i) => m[..i].to_string(),
                None => m,
            };
            return m.to_lowercase();
        }
    };
    s.to_string()
}

/// Opens and reads a file as Go's `os.Open` + `io.Copy` would, with Go's error texts
/// ("open PATH: no such file or directory", "read PATH: is a directory").
pub(crate) fn go_read(fs: &dyn FileSystem, path: &str) -> Result<Vec<u8>, String> {
    fs.read(Path::new(path)).map_err(|e| match e {
        ReadError::Open(e) => format!("open {path}: {}", go_errno(&e)),
        ReadError::Read(e) => format!("read {path}: {}", go_errno(&e)),
    })
}

/// Terraform's `readFileBytes`: errors are about argument 0 and name the path as given.
pub(crate) fn read_file_bytes(ctx: &FuncCtx, path: &str) -> Result<Vec<u8>, FuncError> {
    let full = resolve(ctx, path).map_err(|e| FuncError::arg(0, e))?;
    ctx.fs.read(Path::new(&full)).map_err(|e| match e {
        ReadError::Open(e) if e.kind() == std::io::ErrorKind::NotFound => FuncError::arg(
            0,
            format!(
                "no file exists at {path}; this function works only with files that are \
                 distributed as part of the configuration source code, so if this file will be \
                 created by a resource in this configuration you must instead obtain this result \
                 from an attribute of that resource"
            ),
        ),
        ReadError::Open(e) => FuncError::arg(0, format!("open {full}: {}", go_errno(&e))),
        ReadError::Read(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            FuncError::arg(0, format!("failed to read {path}: {e}"))
        }
        ReadError::Read(_) => FuncError::arg(0, format!("failed to read {path}")),
    })
}

// ---- pure path functions ----

fn abspath(args: &[Value]) -> Result<Value, FuncError> {
    let p = str_arg(args, 0)?;
    let abs = if p.starts_with('/') {
        clean_path(p)
    } else {
        let cwd = std::env::current_dir().map_err(|e| FuncError::new(go_errno(&e)))?;
        join_path(&[&path_str(&cwd), p])
    };
    Ok(Value::string(abs))
}

fn basename(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(go_base(str_arg(args, 0)?)))
}

fn dirname(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(go_dir(str_arg(args, 0)?)))
}

fn pathexpand(args: &[Value]) -> Result<Value, FuncError> {
    let p = str_arg(args, 0)?;
    expand_home(p).map(Value::string).map_err(FuncError::new)
}

// ---- file reading ----

fn file_string(ctx: &FuncCtx, path: &str) -> Result<String, FuncError> {
    let src = read_file_bytes(ctx, path)?;
    String::from_utf8(src).map_err(|_| {
        FuncError::new(format!(
            "contents of {path} are not valid UTF-8; use the filebase64 function to obtain the \
             Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to \
             obtain file hashing results instead"
        ))
    })
}

fn file(ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(file_string(ctx, str_arg(args, 0)?)?))
}

fn filebase64(ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    let src = read_file_bytes(ctx, str_arg(args, 0)?)?;
    Ok(Value::string(
        base64::engine::general_purpose::STANDARD.encode(src),
    ))
}

/// Go's `FileMode.String()`.
fn go_mode_string(md: &Metadata) -> String {
    let ft = md.file_type();
    let mut s = String::new();
    if ft == Metadata::DIR {
        s.push('d');
    }
    if ft == Metadata::SYMLINK {
        s.push('L');
    }
    if ft == Metadata::BLOCK_DEVICE || ft == Metadata::CHAR_DEVICE {
        s.push('D');
    }
    if ft == Metadata::FIFO {
        s.push('p');
    }
    if ft == Metadata::SOCKET {
        s.push('S');
    }
    let mode = md.mode;
    if mode & 0o4000 != 0 {
        s.push('u');
    }
    if mode & 0o2000 != 0 {
        s.push('g');
    }
    if ft == Metadata::CHAR_DEVICE {
        s.push('c');
    }
    if mode & 0o1000 != 0 {
        s.push('t');
    }
    if s.is_empty() {
        s.push('-');
    }
    const RWX: &[u8] = b"rwxrwxrwx";
    for (i, c) in RWX.iter().enumerate() {
        if mode & (1 << (8 - i)) != 0 {
            s.push(*c as char);
        } else {
            s.push('-');
        }
    }
    s
}

fn fileexists(ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    let path = str_arg(args, 0)?;
    let full = resolve(ctx, path).map_err(FuncError::new)?;
    match ctx.fs.metadata(Path::new(&full)) {
        Ok(md) if md.is_file() => Ok(Value::bool(true)),
        Ok(md) => Err(FuncError::new(format!(
            "{full} is not a regular file, but {}",
            go_quote(&go_mode_string(&md))
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::bool(false)),
        Err(_) => Err(FuncError::new(format!("failed to stat {full}"))),
    }
}

// ---- fileset: doublestar (v1) globbing ----

fn fileset(ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    let path = str_arg(args, 0)?;
    let pattern = str_arg(args, 1)?;
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        join_path(&[&path_str(&ctx.base_dir), path])
    };
    let pattern = join_path(&[&path, pattern]);
    let fs = &*ctx.fs;
    let matches = glob(fs, &pattern)
        .map_err(|e| FuncError::new(format!("failed to glob pattern ({pattern}): {e}")))?;
    let mut out = Vec::new();
    for m in matches {
        let md = fs
            .metadata(Path::new(&m))
            .map_err(|e| FuncError::new(format!("failed to stat ({m}): {}", go_errno(&e))))?;
        if !md.is_file() {
            continue;
        }
        let rel = go_rel(&path, &m).ok_or_else(|| {
            FuncError::new(format!(
                "failed to trim path of match ({m}): Rel: can't make {m} relative to {path}"
            ))
        })?;
        out.push(Value::string(rel));
    }
    Ok(Value::set(Type::String, out))
}

/// Go's `filepath.Rel` for the cases fileset needs (both relative or both absolute).
fn go_rel(base: &str, target: &str) -> Option<String> {
    let base = clean_path(base);
    let target = clean_path(target);
    if base == target {
        return Some(".".into());
    }
    if base.starts_with('/') != target.starts_with('/') {
        return None;
    }
    let split = |s: &str| -> Vec<String> {
        if s == "." {
            Vec::new()
        } else {
            s.trim_start_matches('/')
                .split('/')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        }
    };
    let b = split(&base);
    let t = split(&target);
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    if b[common..].iter().any(|x| x == "..") {
        return None;
    }
    let mut parts: Vec<String> = vec!["..".into(); b.len() - common];
    parts.extend(t[common..].iter().cloned());
    Some(parts.join("/"))
}

const BAD_PATTERN: &str = "syntax error in pattern";

/// Splits on `sep` outside braces, keeping escapes (doublestar's `splitPathOnSeparator`).
fn split_on_separator(path: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut braces = 0usize;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == '{' {
            braces += 1;
            cur.push(c);
        } else if c == '}' {
            braces = braces.saturating_sub(1);
            cur.push(c);
        } else if c == sep && braces == 0 {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn glob(fs: &dyn FileSystem, pattern: &str) -> Result<Vec<String>, &'static str> {
    let comps = split_on_separator(pattern, '/');
    let mut matches = Vec::new();
    if comps.is_empty() {
        return Ok(matches);
    }
    if comps[0].is_empty() {
        // Absolute: the first component is the empty volume name.
        do_glob(fs, "/", &comps[1..], &mut matches)?;
    } else {
        do_glob(fs, ".", &comps, &mut matches)?;
    }
    Ok(matches)
}

/// The entries of `dir` and whether each is a directory (symbolic links followed); entries
/// that cannot be examined (dangling links) are left out.
fn read_dir_names(fs: &dyn FileSystem, dir: &str) -> Vec<(String, bool)> {
    let Ok(names) = fs.read_dir(Path::new(dir)) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter_map(|name| {
            let md = fs.metadata(Path::new(&join_path(&[dir, &name]))).ok()?;
            Some((name, md.is_dir()))
        })
        .collect()
}

fn do_glob(
    fs: &dyn FileSystem,
    basedir: &str,
    comps: &[String],
    m: &mut Vec<String>,
) -> Result<(), &'static str> {
    let mut pat_idx = comps
        .iter()
        .position(|c| c.contains(['*', '?', '[', '{', '\\']))
        .unwrap_or(comps.len());
    let basedir = if pat_idx > 0 {
        let parts: Vec<&str> = comps[..pat_idx].iter().map(String::as_str).collect();
        join_path(&[basedir, &join_path(&parts)])
    } else {
        basedir.to_string()
    };
    let Ok(md) = fs.symlink_metadata(Path::new(&basedir)) else {
        return Ok(());
    };
    if pat_idx >= comps.len() {
        m.push(basedir);
        return Ok(());
    }
    let is_dir = if md.is_symlink() {
        match fs.metadata(Path::new(&basedir)) {
            Ok(md) => md.is_dir(),
            Err(_) => return Ok(()),
        }
    } else {
        md.is_dir()
    };
    if !is_dir {
        return Ok(());
    }
    let files = read_dir_names(fs, &basedir);
    let mut last = pat_idx + 1 >= comps.len();
    if comps[pat_idx] == "**" {
        for (name, is_dir) in &files {
            let full = join_path(&[&basedir, name]);
            if *is_dir {
                if last {
                    m.push(full.clone());
                }
                do_glob(fs, &full, &comps[pat_idx..], m)?;
            } else if last {
                m.push(full);
            }
        }
        if last {
            return Ok(());
        }
        pat_idx += 1;
        last = pat_idx + 1 >= comps.len();
    }
    for (name, _) in &files {
        if match_component(&comps[pat_idx], name)? {
            let full = join_path(&[&basedir, name]);
            if last {
                m.push(full);
            } else {
                do_glob(fs, &full, &comps[pat_idx + 1..], m)?;
            }
        }
    }
    Ok(())
}

/// The index of `c` in `s`, skipping backslash escapes.
fn index_unescaped(s: &[char], c: char) -> Option<usize> {
    let mut i = 0;
    while i < s.len() {
        if s[i] == '\\' {
            i += 2;
            continue;
        }
        if s[i] == c {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// doublestar's `matchComponent`: one path component against one pattern component.
pub(crate) fn match_component(pattern: &str, name: &str) -> Result<bool, &'static str> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_chars(&p, &n)
}

fn match_chars(p: &[char], n: &[char]) -> Result<bool, &'static str> {
    let (mut pi, mut ni) = (0usize, 0usize);
    while pi < p.len() && ni < n.len() {
        let pc = p[pi];
        let nc = n[ni];
        match pc {
            '\\' => {
                pi += 1;
                let Some(&e) = p.get(pi) else {
                    return Err(BAD_PATTERN);
                };
                if e != nc {
                    return Ok(false);
                }
                pi += 1;
                ni += 1;
            }
            '*' => {
                pi += 1;
                if pi >= p.len() {
                    return Ok(true);
                }
                while ni < n.len() {
                    let r = match_chars(&p[pi..], &n[ni..]);
                    if !matches!(r, Ok(false)) {
                        return r;
                    }
                    ni += 1;
                }
                return Ok(false);
            }
            '[' => {
                pi += 1;
                let end = index_unescaped(&p[pi..], ']').ok_or(BAD_PATTERN)? + pi;
                let class = &p[pi..end];
                if class.is_empty() {
                    return Err(BAD_PATTERN);
                }
                let negate = class[0] == '^';
                let mut ci = usize::from(negate);
                let mut matched = false;
                while ci < class.len() {
                    let mut low = class[ci];
                    if low == '-' {
                        return Err(BAD_PATTERN);
                    }
                    ci += 1;
                    if low == '\\' {
                        low = *class.get(ci).ok_or(BAD_PATTERN)?;
                        ci += 1;
                    }
                    let mut high = low;
                    if class.get(ci) == Some(&'-') {
                        ci += 1;
                        high = *class.get(ci).ok_or(BAD_PATTERN)?;
                        if high == '-' {
                            return Err(BAD_PATTERN);
                        }
                        ci += 1;
                        if high == '\\' {
                            high = *class.get(ci).ok_or(BAD_PATTERN)?;
                            ci += 1;
                        }
                    }
                    if low <= nc && nc <= high {
                        matched = true;
                    }
                }
                if matched == negate {
                    return Ok(false);
                }
                pi = end + 1;
                ni += 1;
            }
            '{' => {
                pi += 1;
                let end = index_unescaped(&p[pi..], '}').ok_or(BAD_PATTERN)? + pi;
                let inner: String = p[pi..end].iter().collect();
                let rest: String = p[end + 1..].iter().collect();
                for o in split_on_separator(&inner, ',') {
                    let alt: Vec<char> = o.chars().chain(rest.chars()).collect();
                    if match_chars(&alt, &n[ni..])? {
                        return Ok(true);
                    }
                }
                return Ok(false);
            }
            '?' => {
                pi += 1;
                ni += 1;
            }
            c if c == nc => {
                pi += 1;
                ni += 1;
            }
            _ => return Ok(false),
        }
    }
    if pi >= p.len() && ni >= n.len() {
        return Ok(true);
    }
    if ni >= n.len() {
        let rest: String = p[pi..].iter().collect();
        if rest == "*" || rest == "**" {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---- templatefile ----

/// The root names the template refers to (HCL's `Variables()`), in source order, with ranges.
fn template_variables<'a>(
    e: &'a Expr,
    bound: &mut Vec<&'a str>,
    out: &mut Vec<(&'a str, &'a crate::diag::Range)>,
) {
    match &e.kind {
        ExprKind::Variable(v) => {
            if !bound.contains(&v.as_str()) {
                out.push((v, &e.range));
            }
        }
        ExprKind::Template(parts) => template_part_variables(parts, bound, out),
        ExprKind::For(fe) => {
            template_variables(&fe.collection, bound, out);
            let n = bound.len();
            if let Some(k) = &fe.key_var {
                bound.push(k);
            }
            bound.push(&fe.value_var);
            if let Some(k) = &fe.key_expr {
                template_variables(k, bound, out);
            }
            template_variables(&fe.value_expr, bound, out);
            if let Some(c) = &fe.cond {
                template_variables(c, bound, out);
            }
            bound.truncate(n);
        }
        _ => e.children(&mut |c| template_variables(c, bound, out)),
    }
}

fn template_part_variables<'a>(
    parts: &'a [TemplatePart],
    bound: &mut Vec<&'a str>,
    out: &mut Vec<(&'a str, &'a crate::diag::Range)>,
) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => template_variables(e, bound, out),
            TemplatePart::If {
                cond, then, other, ..
            } => {
                template_variables(cond, bound, out);
                template_part_variables(then, bound, out);
                template_part_variables(other, bound, out);
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                ..
            } => {
                template_variables(collection, bound, out);
                let n = bound.len();
                if let Some(k) = key_var {
                    bound.push(k);
                }
                bound.push(value_var);
                template_part_variables(body, bound, out);
                bound.truncate(n);
            }
        }
    }
}

fn valid_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    cs.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Loads and parses the template at `path` (relative to the module directory).
pub fn load_template(ctx: &FuncCtx, path: &str) -> Result<Expr, FuncError> {
    let src = file_string(ctx, path)?;
    crate::lang::parse::parse_template(Arc::from(path), &src).map_err(|d| {
        let at = d
            .range
            .as_ref()
            .map(crate::diag::Range::hcl_string)
            .unwrap_or_default();
        let msg = if d.detail.is_empty() {
            format!("{at}: {}", d.summary)
        } else {
            format!("{at}: {}; {}", d.summary, d.detail)
        };
        FuncError::new(msg)
    })
}

fn templatefile(ctx: &FuncCtx, args: &[Value]) -> Result<Value, FuncError> {
    let path = str_arg(args, 0)?;
    let tmpl = load_template(ctx, path)?;
    let vars = args
        .get(1)
        .filter(|v| v.ty().is_map() || v.ty().is_object())
        .ok_or_else(|| FuncError::arg(1, "invalid vars value: must be a map"))?;
    let empty = Attrs::new();
    let attrs = vars.entries().unwrap_or(&empty);
    for k in attrs.keys() {
        if !valid_identifier(k) {
            return Err(FuncError::arg(
                1,
                format!(
                    "invalid template variable name {}: must start with a letter, followed by \
                     zero or more letters, digits, and underscores",
                    go_quote(k)
                ),
            ));
        }
    }
    let mut refs = Vec::new();
    template_variables(&tmpl, &mut Vec::new(), &mut refs);
    for (root, range) in refs {
        if !attrs.contains_key(root) {
            return Err(FuncError::arg(
                1,
                format!(
                    "vars map does not contain key {}, referenced at {}",
                    go_quote(root),
                    range.hcl_string()
                ),
            ));
        }
    }
    let Some(r) = &ctx.templates else {
        // Only the registry used inside a template lacks a renderer.
        return Err(FuncError::new(
            "cannot recursively call templatefile from inside templatefile call",
        ));
    };
    r.render(&tmpl, attrs)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn paths_like_go() {
        let cases = [
            ("dirname", "foo/bar/baz.txt", "foo/bar"),
            ("dirname", "/etc/hosts", "/etc"),
            ("dirname", "file.txt", "."),
            ("dirname", "foo/bar/", "foo/bar"),
            ("dirname", "/", "/"),
            ("dirname", "", "."),
            ("basename", "foo/bar/baz.txt", "baz.txt"),
            ("basename", "foo/bar/", "bar"),
            ("basename", "baz", "baz"),
            ("basename", "", "."),
            ("basename", "///", "/"),
            ("pathexpand", "/etc/resolv.conf", "/etc/resolv.conf"),
            ("pathexpand", "rel/~/x", "rel/~/x"),
            ("pathexpand", "", ""),
        ];
        for (name, arg, want) in cases {
            assert_eq!(call_str(name, &[s(arg)]), want, "{name}({arg:?})");
        }
        assert_eq!(
            call_err("pathexpand", &[s("~bob/x")]).message,
            "cannot expand user-specific home dir"
        );
        assert!(call_str("abspath", &[s("a/../b")]).ends_with("/b"));
        assert_eq!(call_str("abspath", &[s("/already/x")]), "/already/x");
    }

    fn fixture() -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path();
        std::fs::create_dir_all(p.join("files/sub/deeper")).unwrap();
        std::fs::create_dir_all(p.join("files/empty-dir")).unwrap();
        std::fs::write(p.join("files/hello.txt"), "Hello World\n").unwrap();
        std::fs::write(p.join("files/empty.txt"), "").unwrap();
        std::fs::write(p.join("files/bin.dat"), [0u8, 1, 2, 255, 254]).unwrap();
        std::fs::write(p.join("files/empty-dir/.keep"), "").unwrap();
        std::fs::write(p.join("files/sub/a.txt"), "a").unwrap();
        std::fs::write(p.join("files/sub/b.json"), "{}").unwrap();
        std::fs::write(p.join("files/sub/deeper/.hidden"), "").unwrap();
        std::fs::write(p.join("files/sub/deeper/c.txt"), "").unwrap();
        d
    }

    fn set_strs(v: &Value) -> Vec<String> {
        v.elements()
            .expect("set")
            .iter()
            .map(|x| x.as_str().expect("string").to_string())
            .collect()
    }

    #[test]
    fn file_reading() {
        let d = fixture();
        let p = d.path();
        let v = call_in(p, "file", &[s("files/hello.txt")]).unwrap();
        assert_eq!(v.as_str(), Some("Hello World\n"));
        let v = call_in(p, "filebase64", &[s("files/bin.dat")]).unwrap();
        assert_eq!(v.as_str(), Some("AAEC//4="));
        let e = call_in(p, "file", &[s("files/bin.dat")]).unwrap_err();
        assert_eq!(e.arg, None);
        assert!(e
            .message
            .starts_with("contents of files/bin.dat are not valid UTF-8; use the filebase64"));
        let e = call_in(p, "file", &[s("./missing.txt")]).unwrap_err();
        assert_eq!(e.arg, Some(0));
        assert!(e
            .message
            .starts_with("no file exists at ./missing.txt; this function works only"));
        let e = call_in(p, "filebase64", &[s("./files/x/..")]).unwrap_err();
        assert_eq!(e.message, "failed to read ./files/x/..");
        let e = call_in(p, "file", &[s("files/hello.txt/x")]).unwrap_err();
        assert!(
            e.message.ends_with("/files/hello.txt/x: not a directory"),
            "{}",
            e.message
        );
        // Sensitive paths give sensitive results.
        let v = call_in(p, "file", &[s("files/hello.txt").mark_sensitive()]).unwrap();
        assert!(v.is_sensitive());
        // Unknown paths give unknown results.
        let v = call_in(p, "file", &[Value::unknown(Type::String)]).unwrap();
        assert!(!v.is_known());
    }

    #[test]
    fn file_exists() {
        let d = fixture();
        let p = d.path();
        let t = |a: &str| call_in(p, "fileexists", &[s(a)]);
        assert_eq!(t("files/hello.txt").unwrap().as_bool(), Some(true));
        assert_eq!(t("files/nope.txt").unwrap().as_bool(), Some(false));
        let e = t("./files/sub/").unwrap_err();
        assert!(
            e.message
                .ends_with("/files/sub is not a regular file, but \"drwxr-xr-x\""),
            "{}",
            e.message
        );
        let e = t("files/hello.txt/x").unwrap_err();
        assert!(e.message.starts_with("failed to stat "), "{}", e.message);
        assert_eq!(
            t("~bob/x").unwrap_err().message,
            "failed to expand ~: cannot expand user-specific home dir"
        );
    }

    #[test]
    fn fileset_doublestar() {
        let d = fixture();
        let p = d.path();
        let fs = |a: &str, b: &str| set_strs(&call_in(p, "fileset", &[s(a), s(b)]).unwrap());
        assert_eq!(
            fs(".", "files/*.txt"),
            ["files/empty.txt", "files/hello.txt"]
        );
        assert_eq!(
            fs("files", "**"),
            [
                "bin.dat",
                "empty-dir/.keep",
                "empty.txt",
                "hello.txt",
                "sub/a.txt",
                "sub/b.json",
                "sub/deeper/.hidden",
                "sub/deeper/c.txt"
            ]
        );
        assert_eq!(
            fs("files", "**/*.txt"),
            ["empty.txt", "hello.txt", "sub/a.txt", "sub/deeper/c.txt"]
        );
        assert_eq!(fs("files", "{hello,empty}.txt"), ["empty.txt", "hello.txt"]);
        assert_eq!(fs("files/sub", "[ab].*"), ["a.txt", "b.json"]);
        assert_eq!(fs("files/sub", "[^a].*"), ["b.json"]);
        assert_eq!(fs("files/sub", "?.txt"), ["a.txt"]);
        assert!(fs("files", "*.nothing").is_empty());
        assert!(fs("nowhere", "*").is_empty());
        assert_eq!(
            fs("./files/..", "files/sub/*"),
            ["files/sub/a.txt", "files/sub/b.json"]
        );
        let e = call_in(p, "fileset", &[s("files"), s("[")]).unwrap_err();
        assert!(
            e.message.ends_with("files/[): syntax error in pattern"),
            "{}",
            e.message
        );
        let v = call_in(p, "fileset", &[s("files"), s("*.nothing")]).unwrap();
        assert_eq!(v.ty(), Type::set(Type::String));
    }

    #[test]
    fn glob_components() {
        assert_eq!(match_component("a*b", "axxb"), Ok(true));
        assert_eq!(match_component("a*b", "axxc"), Ok(false));
        assert_eq!(match_component("\\*", "*"), Ok(true));
        assert_eq!(match_component("[a-c]x", "bx"), Ok(true));
        assert_eq!(match_component("[]", "a"), Err(BAD_PATTERN));
        assert_eq!(match_component("{a,b{c,d}}", "bd"), Ok(true));
        assert_eq!(match_component("x*", "x"), Ok(true));
    }

    struct Echo;
    impl TemplateRenderer for Echo {
        fn render(&self, _tmpl: &Expr, vars: &Attrs) -> Result<Value, FuncError> {
            Ok(Value::string(format!("{} vars", vars.len())))
        }
    }

    #[test]
    fn templatefile_checks_vars() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("t.tftpl"), "${a} and ${b}").unwrap();
        std::fs::write(
            d.path().join("f.tftpl"),
            "%{ for x in xs }${x}%{ endfor }${[for y in xs : y]}",
        )
        .unwrap();
        let ctx = FuncCtx {
            base_dir: d.path().to_path_buf(),
            templates: Some(std::sync::Arc::new(Echo)),
            fs: crate::vfs::os(),
        };
        let mut r = Registry::new();
        register(&mut r, &Arc::new(ctx));
        let vars = Value::object(vec![("a".into(), i(1))]);
        let e = call_with(&r, "templatefile", &[s("./t.tftpl"), vars]).unwrap_err();
        assert_eq!(e.arg, Some(1));
        assert_eq!(
            e.message,
            "vars map does not contain key \"b\", referenced at ./t.tftpl:1,12-13"
        );
        let vars = Value::object(vec![("xs".into(), Value::empty_tuple())]);
        let v = call_with(&r, "templatefile", &[s("f.tftpl"), vars]).unwrap();
        assert_eq!(v.as_str(), Some("1 vars"));
        let e = call_with(&r, "templatefile", &[s("f.tftpl"), s("x")]).unwrap_err();
        assert_eq!(e.message, "invalid vars value: must be a map");
        let vars = Value::object(vec![("1x".into(), i(1))]);
        let e = call_with(&r, "templatefile", &[s("f.tftpl"), vars]).unwrap_err();
        assert!(e
            .message
            .starts_with("invalid template variable name \"1x\""));
    }

    #[test]
    fn go_paths() {
        assert_eq!(clean_path("a/../../b/./c/"), "../b/c");
        assert_eq!(clean_path("/../x"), "/x");
        assert_eq!(clean_path(""), ".");
        assert_eq!(join_path(&[".", "./missing.txt"]), "missing.txt");
        assert_eq!(join_path(&["", ""]), "");
        assert_eq!(join_path(&["/a", "b/../c"]), "/a/c");
    }
}
