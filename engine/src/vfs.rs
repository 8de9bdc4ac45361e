//! The filesystem the engine reads configuration and files through.
//!
//! Every read of the engine (module directories, `.tf` files, the module manifest, the file
//! functions) goes through a [`FileSystem`]: [`OsFs`] is the real one; [`RecordingFs`] reads the
//! real one and records what it saw into a [`Snapshot`] (at plan time); [`SnapshotFs`] serves a
//! snapshot, falling back to the real filesystem for what it does not hold (at apply time), so a
//! saved plan is applied with exactly the content it was made from.
//!
//! Snapshot keys are paths relative to the working directory (`base`), lexically normalised
//! (`./a/../b/x.tf` is `b/x.tf`; `../modules/x/main.tf` stays so); an absolute path inside `base`
//! is made relative, one outside is kept absolute. Relative paths given to a [`FileSystem`] are
//! relative to the process's working directory, which must be `base`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the engine reads files through.
pub trait FileSystem: Send + Sync + std::fmt::Debug {
    /// The contents of the file at `path`.
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError>;
    /// The metadata of `path`, following symbolic links (`stat`).
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;
    /// The metadata of `path` itself, a symbolic link not followed (`lstat`).
    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata>;
    /// The names of the entries of the directory `path`, sorted (names that are not UTF-8 are
    /// converted lossily: configuration cannot name them anyway).
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>>;
}

/// Why a read failed: opening the path, or reading the opened file (a directory opens, and
/// then fails to read). Callers report the two differently, as Go programs do.
#[derive(Debug)]
pub enum ReadError {
    Open(io::Error),
    Read(io::Error),
}

impl ReadError {
    pub fn error(&self) -> &io::Error {
        match self {
            ReadError::Open(e) | ReadError::Read(e) => e,
        }
    }
}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::Open(e) | ReadError::Read(e) => e,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error().fmt(f)
    }
}

/// What the engine needs of a path's metadata: its Unix `st_mode` (file type and permission
/// bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub mode: u32,
}

impl Metadata {
    pub const TYPE_MASK: u32 = 0o170000;
    pub const FILE: u32 = 0o100000;
    pub const DIR: u32 = 0o040000;
    pub const SYMLINK: u32 = 0o120000;
    pub const BLOCK_DEVICE: u32 = 0o060000;
    pub const CHAR_DEVICE: u32 = 0o020000;
    pub const FIFO: u32 = 0o010000;
    pub const SOCKET: u32 = 0o140000;

    /// The file type bits (one of the constants above).
    pub fn file_type(&self) -> u32 {
        self.mode & Self::TYPE_MASK
    }
    pub fn is_file(&self) -> bool {
        self.file_type() == Self::FILE
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == Self::DIR
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == Self::SYMLINK
    }
}

impl From<&std::fs::Metadata> for Metadata {
    fn from(md: &std::fs::Metadata) -> Metadata {
        use std::os::unix::fs::MetadataExt as _;
        Metadata { mode: md.mode() }
    }
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

/// The real filesystem, shared.
pub fn os() -> Arc<dyn FileSystem> {
    Arc::new(OsFs)
}

/// The most bytes read from something that is not a regular file (a device such as
/// `/dev/zero`, a FIFO), which may never end: 100 MiB. A regular file is read whole, whatever
/// its size.
pub const MAX_STREAM_BYTES: u64 = 100 << 20;

impl FileSystem for OsFs {
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        use std::io::Read as _;
        let f = std::fs::File::open(path).map_err(ReadError::Open)?;
        let regular = f.metadata().map(|m| m.is_file()).unwrap_or(false);
        let mut buf = Vec::new();
        if regular {
            (&f).read_to_end(&mut buf).map_err(ReadError::Read)?;
        } else {
            (&f).take(MAX_STREAM_BYTES + 1)
                .read_to_end(&mut buf)
                .map_err(ReadError::Read)?;
            if buf.len() as u64 > MAX_STREAM_BYTES {
                return Err(ReadError::Read(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "not a regular file, and longer than {} MiB",
                        MAX_STREAM_BYTES >> 20
                    ),
                )));
            }
        }
        Ok(buf)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        std::fs::metadata(path).map(|m| Metadata::from(&m))
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata> {
        std::fs::symlink_metadata(path).map(|m| Metadata::from(&m))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
}

/// The files, directory listings and metadata a configuration was read from, and the paths
/// found not to exist. Keys are normalised relative paths (see the module documentation).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// File contents (base64 in serde, so binary files survive JSON).
    #[serde(default, with = "base64_map")]
    files: BTreeMap<String, Vec<u8>>,
    /// Directory listings: entry names, sorted.
    #[serde(default)]
    dirs: BTreeMap<String, Vec<String>>,
    /// The metadata of the paths examined (symbolic links followed).
    #[serde(default)]
    metadata: BTreeMap<String, Metadata>,
    /// Paths that did not exist.
    #[serde(default)]
    absent: BTreeSet<String>,
}

impl Snapshot {
    /// Every file read: (key, contents), in key order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// The keys of the files read, in order.
    pub fn file_paths(&self) -> Vec<&str> {
        self.files.keys().map(String::as_str).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.dirs.is_empty()
            && self.metadata.is_empty()
            && self.absent.is_empty()
    }

    /// What the snapshot says of `key`'s metadata: `None` when it does not know. A file read
    /// or a directory listed is known even if its metadata was not asked for.
    fn metadata_of(&self, key: &str) -> Option<io::Result<Metadata>> {
        if let Some(md) = self.metadata.get(key) {
            return Some(Ok(*md));
        }
        if self.files.contains_key(key) {
            return Some(Ok(Metadata {
                mode: Metadata::FILE | 0o644,
            }));
        }
        if self.dirs.contains_key(key) {
            return Some(Ok(Metadata {
                mode: Metadata::DIR | 0o755,
            }));
        }
        self.absent.contains(key).then(|| Err(not_found()))
    }
}

fn not_found() -> io::Error {
    // ENOENT, so that error texts read as the OS's do.
    io::Error::from_raw_os_error(2)
}

/// Base64 for the file contents.
mod base64_map {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        m.iter()
            .map(|(k, v)| (k, B64.encode(v)))
            .collect::<BTreeMap<_, _>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        BTreeMap::<String, String>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| match B64.decode(&v) {
                Ok(bytes) => Ok((k, bytes)),
                Err(e) => Err(serde::de::Error::custom(format!(
                    "the snapshot of {k} is not valid base64: {e}"
                ))),
            })
            .collect()
    }
}

/// `path` lexically normalised: no `.`, `x/..` folded, `..` kept at the start of a relative
/// path and dropped after the root (`/..` is `/`). The empty path is `.`.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// How paths are keyed: relative to `base` (an absolute, normalised path).
#[derive(Debug, Clone)]
struct Keys {
    base: PathBuf,
}

impl Keys {
    fn new(base: PathBuf) -> Keys {
        let base = std::path::absolute(&base).unwrap_or(base);
        Keys {
            base: normalize(&base),
        }
    }

    /// The key of `path`; `None` for a path that is not UTF-8 (never recorded nor served).
    fn key(&self, path: &Path) -> Option<String> {
        let p = normalize(path);
        let p = match p.strip_prefix(&self.base) {
            Ok(rel) if p.is_absolute() => normalize(rel),
            _ => p,
        };
        p.to_str().map(str::to_string)
    }
}

/// The real filesystem, recording every successful read, listing and metadata, and every path
/// found not to exist, into a [`Snapshot`].
#[derive(Debug)]
pub struct RecordingFs {
    keys: Keys,
    snapshot: Mutex<Snapshot>,
}

impl RecordingFs {
    /// `base` is the working directory (relative paths are relative to it).
    pub fn new(base: PathBuf) -> RecordingFs {
        RecordingFs {
            keys: Keys::new(base),
            snapshot: Mutex::new(Snapshot::default()),
        }
    }

    /// What was recorded so far.
    pub fn snapshot(&self) -> Snapshot {
        self.with(|s| s.clone())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Snapshot) -> T) -> T {
        // A panic elsewhere while holding the lock leaves the snapshot consistent: each update
        // is a single insertion.
        let mut s = self.snapshot.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s)
    }

    /// Records what was found at `path`.
    fn found(&self, path: &Path, record: impl FnOnce(&mut Snapshot, String)) {
        if let Some(key) = self.keys.key(path) {
            self.with(|s| record(s, key));
        }
    }

    /// Records `path` as absent if `e` says it does not exist.
    fn failed(&self, path: &Path, e: &io::Error) {
        if e.kind() == io::ErrorKind::NotFound {
            self.found(path, |s, k| {
                s.absent.insert(k);
            });
        }
    }

    /// Records a metadata result.
    fn stat(&self, path: &Path, r: &io::Result<Metadata>) {
        match r {
            // A snapshot has no symbolic links: a link is recorded when followed.
            Ok(md) if md.is_symlink() => {}
            Ok(md) => self.found(path, |s, k| {
                s.metadata.insert(k, *md);
            }),
            Err(e) => self.failed(path, e),
        }
    }
}

impl FileSystem for RecordingFs {
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        let r = OsFs.read(path);
        match &r {
            Ok(bytes) => self.found(path, |s, k| {
                s.files.insert(k, bytes.clone());
            }),
            // Only a failure to open can say the path does not exist.
            Err(ReadError::Open(e)) => self.failed(path, e),
            Err(ReadError::Read(_)) => {}
        }
        r
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let r = OsFs.metadata(path);
        self.stat(path, &r);
        r
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata> {
        let r = OsFs.symlink_metadata(path);
        self.stat(path, &r);
        r
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let r = OsFs.read_dir(path);
        match &r {
            Ok(names) => self.found(path, |s, k| {
                s.dirs.insert(k, names.clone());
            }),
            Err(e) => self.failed(path, e),
        }
        r
    }
}

/// Serves a [`Snapshot`]; paths it does not hold are read from the real filesystem (a file
/// whose name was only known at apply time).
#[derive(Debug)]
pub struct SnapshotFs {
    keys: Keys,
    snapshot: Snapshot,
}

impl SnapshotFs {
    /// `base` is the working directory now, which the snapshot's relative keys are relative to.
    pub fn new(snapshot: Snapshot, base: PathBuf) -> SnapshotFs {
        SnapshotFs {
            keys: Keys::new(base),
            snapshot,
        }
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    fn key(&self, path: &Path) -> Option<String> {
        self.keys.key(path)
    }
}

impl FileSystem for SnapshotFs {
    fn read(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        if let Some(key) = self.key(path) {
            if let Some(bytes) = self.snapshot.files.get(&key) {
                return Ok(bytes.clone());
            }
            if self.snapshot.absent.contains(&key) {
                return Err(ReadError::Open(not_found()));
            }
        }
        OsFs.read(path)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        match self.key(path).and_then(|k| self.snapshot.metadata_of(&k)) {
            Some(r) => r,
            None => OsFs.metadata(path),
        }
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Metadata> {
        match self.key(path).and_then(|k| self.snapshot.metadata_of(&k)) {
            Some(r) => r,
            None => OsFs.symlink_metadata(path),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        if let Some(key) = self.key(path) {
            if let Some(names) = self.snapshot.dirs.get(&key) {
                return Ok(names.clone());
            }
            if self.snapshot.absent.contains(&key) {
                return Err(not_found());
            }
        }
        OsFs.read_dir(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::{load_config_with, ManifestResolver};
    use crate::diag::Sources;
    use crate::evaluate::walk::{evaluate, EvalOptions};
    use crate::lang::funcs::testutil::{call_with, obj, s};
    use crate::lang::funcs::Registry;
    use crate::lang::value::Value;

    const MAIN: &str = r#"
module "x" {
  source = "./modules/x"
}
output "hello" {
  value = file("${path.module}/files/hello.txt")
}
output "greeting" {
  value = templatefile("${path.module}/files/t.tftpl", { name = "sakk", dir = path.module })
}
output "set" {
  value = fileset(path.module, "files/**")
}
output "exists" {
  value = [fileexists("${path.module}/files/hello.txt"), fileexists("${path.module}/files/later.txt")]
}
output "md5" {
  value = filemd5("${path.module}/files/bin.dat")
}
output "child" {
  value = module.x.data
}
"#;

    fn write(root: &Path, files: &[(&str, &[u8])]) {
        for (path, bytes) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, bytes).expect("write");
        }
    }

    /// Loads and evaluates the configuration in `root` through `fs`: the outputs, rendered.
    fn outputs(fs: Arc<dyn FileSystem>, root: &Path) -> Vec<(String, String)> {
        let mut sources = Sources::new();
        let resolver = ManifestResolver::new_with(&*fs, root);
        let (config, diags) = load_config_with(&*fs, root, &resolver, &mut sources);
        assert!(!diags.has_errors(), "{diags:?}");
        let (graph, diags) = crate::graph::build(&config);
        assert!(!diags.has_errors(), "{diags:?}");
        let opts = EvalOptions {
            workspace: "default".into(),
            root_dir: root.to_path_buf(),
            cwd: root.to_path_buf(),
            fs,
            max_instances: crate::evaluate::walk::DEFAULT_MAX_INSTANCES,
        };
        let (ev, diags) = evaluate(&config, &graph, &[], &opts);
        assert!(!diags.has_errors(), "{diags:?}");
        ev.outputs
            .into_iter()
            .map(|(k, o)| (k, o.value.to_string()))
            .collect()
    }

    #[test]
    fn a_configuration_replays_from_its_snapshot() {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path();
        write(
            root,
            &[
                ("main.tf", MAIN.as_bytes()),
                (
                    "modules/x/main.tf",
                    b"output \"data\" {\n  value = file(\"${path.module}/data.txt\")\n}\n",
                ),
                ("modules/x/data.txt", b"child data"),
                ("files/hello.txt", b"Hello World\n"),
                (
                    "files/t.tftpl",
                    b"Hi ${name}: ${file(\"${dir}/files/hello.txt\")}",
                ),
                ("files/bin.dat", &[0, 159, 146, 150, 255]),
                ("files/sub/a.txt", b"a"),
            ],
        );
        let rec = Arc::new(RecordingFs::new(root.to_path_buf()));
        let planned = outputs(rec.clone(), root);
        let snap = rec.snapshot();
        assert_eq!(
            snap.file_paths(),
            [
                "files/bin.dat",
                "files/hello.txt",
                "files/t.tftpl",
                "main.tf",
                "modules/x/data.txt",
                "modules/x/main.tf",
            ]
        );
        assert!(snap.absent.contains("files/later.txt"));
        assert!(snap.absent.contains(".sakk/modules/modules.json"));
        assert!(planned.contains(&("md5".into(), "\"41de11c021b2d5f4aa6824792a3bbb96\"".into())));
        assert!(planned.contains(&("exists".into(), "[\n  true,\n  false,\n]".into())));

        // Through a plan file, then in another directory, where nothing is left on disk but a
        // file the plan did not see and one it saw as absent.
        let snap: Snapshot =
            serde_json::from_str(&serde_json::to_string(&snap).expect("encode")).expect("decode");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        write(
            elsewhere.path(),
            &[
                ("files/later.txt", b"now here"),
                ("files/sub/new.txt", b"new"),
                ("main.tf", b"broken {"),
            ],
        );
        let fs = Arc::new(SnapshotFs::new(
            snap.clone(),
            elsewhere.path().to_path_buf(),
        ));
        assert_eq!(outputs(fs, elsewhere.path()), planned);

        // And where it was made, after every file changed or went away.
        std::fs::remove_dir_all(root.join("modules")).expect("rm");
        write(
            root,
            &[
                ("main.tf", b"output \"hello\" { value = 1 }"),
                ("files/hello.txt", b"edited"),
                ("files/later.txt", b"now here"),
                ("files/sub/b.txt", b"b"),
            ],
        );
        std::fs::remove_file(root.join("files/t.tftpl")).expect("rm");
        let fs = Arc::new(SnapshotFs::new(snap, root.to_path_buf()));
        assert_eq!(outputs(fs.clone(), root), planned);

        // The functions directly, relative to the module directory.
        let r = Registry::for_module_with(root, fs);
        // Strings and sets of strings as text, errors as `ERR: message`.
        let call = |name: &str, args: &[Value]| match call_with(&r, name, args) {
            Ok(v) => match (v.as_str(), v.elements()) {
                (Some(s), _) => s.to_string(),
                (_, Some(xs)) => xs
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => v.to_string(),
            },
            Err(e) => format!("ERR: {}", e.message),
        };
        assert_eq!(call("file", &[s("files/hello.txt")]), "Hello World\n");
        assert_eq!(
            call(
                "templatefile",
                &[
                    s("./files/t.tftpl"),
                    obj(vec![("name", s("x")), ("dir", s("."))])
                ]
            ),
            "Hi x: Hello World\n"
        );
        assert_eq!(
            call("fileset", &[s("files"), s("**/*.txt")]),
            "hello.txt sub/a.txt"
        );
        assert_eq!(call("fileexists", &[s("files/later.txt")]), "false");
        assert_eq!(call("fileexists", &[s("files/t.tftpl")]), "true");
        assert!(call("file", &[s("files/later.txt")]).starts_with("ERR: no file exists at"));
        // Read at apply time only: from the disk.
        assert_eq!(call("file", &[s("files/sub/b.txt")]), "b");
    }

    #[test]
    fn keys_are_normalised_relative_to_the_base() {
        let keys = Keys::new(PathBuf::from("/work/live"));
        let k = |p: &str| keys.key(Path::new(p));
        assert_eq!(k("./main.tf").as_deref(), Some("main.tf"));
        assert_eq!(
            k("./../modules/x/./main.tf").as_deref(),
            Some("../modules/x/main.tf")
        );
        assert_eq!(k("a/b/../../../x").as_deref(), Some("../x"));
        assert_eq!(k("").as_deref(), Some("."));
        assert_eq!(k("/work/live").as_deref(), Some("."));
        assert_eq!(
            k("/work/live/modules/x/../y//main.tf").as_deref(),
            Some("modules/y/main.tf")
        );
        assert_eq!(k("/work/./live/../live/x").as_deref(), Some("x"));
        assert_eq!(k("/etc/ssl/cert.pem").as_deref(), Some("/etc/ssl/cert.pem"));
        assert_eq!(k("/work/livestock/x").as_deref(), Some("/work/livestock/x"));
        assert_eq!(k("/../etc/x").as_deref(), Some("/etc/x"));
        use std::os::unix::ffi::OsStrExt as _;
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"x\xff.tf"));
        assert_eq!(keys.key(bad), None);
        // A relative base is made absolute.
        let cwd = std::env::current_dir().expect("cwd");
        let keys = Keys::new(PathBuf::from("."));
        assert_eq!(keys.key(&cwd.join("a/b")).as_deref(), Some("a/b"));
    }

    #[test]
    fn unrecorded_paths_come_from_the_disk() {
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path();
        write(root, &[("dir/a", b"a"), ("gone", b"x"), ("later", b"l")]);
        let rec = RecordingFs::new(root.to_path_buf());
        assert_eq!(rec.read_dir(&root.join("dir")).expect("ls"), ["a"]);
        assert!(rec.read(&root.join("nothing")).is_err());
        assert!(rec.metadata(&root.join("gone")).expect("stat").is_file());
        let snap = rec.snapshot();
        write(root, &[("dir/b", b"b"), ("nothing", b"n")]);
        std::fs::remove_file(root.join("gone")).expect("rm");

        let fs = SnapshotFs::new(snap, root.to_path_buf());
        // Listed, absent, examined: as recorded.
        assert_eq!(fs.read_dir(&root.join("dir")).expect("ls"), ["a"]);
        let e = fs.read(&root.join("nothing")).expect_err("absent");
        assert!(matches!(&e, ReadError::Open(e) if e.kind() == io::ErrorKind::NotFound));
        assert!(fs.metadata(Path::new("nothing")).is_err());
        assert!(fs.metadata(&root.join("gone")).expect("stat").is_file());
        // Not recorded: the disk.
        assert_eq!(fs.read(&root.join("later")).expect("read"), b"l");
        assert_eq!(fs.read(&root.join("dir/b")).expect("read"), b"b");
        assert!(fs.metadata(&root.join("dir")).expect("stat").is_dir());
        assert!(matches!(
            fs.read(&root.join("dir")),
            Err(ReadError::Read(_))
        ));
        assert!(fs.read_dir(&root.join("missing")).is_err());
    }

    #[test]
    fn snapshots_round_trip_with_binary_files() {
        let d = tempfile::tempdir().expect("tempdir");
        let bin: &[u8] = &[0, 159, 146, 150, 255, b'\n'];
        write(d.path(), &[("bin.dat", bin), ("a/b.txt", b"text")]);
        let rec = RecordingFs::new(d.path().to_path_buf());
        rec.read(&d.path().join("bin.dat")).expect("read");
        rec.read(&d.path().join("a/b.txt")).expect("read");
        rec.read_dir(d.path()).expect("ls");
        rec.metadata(&d.path().join("a")).expect("stat");
        rec.metadata(&d.path().join("absent")).expect_err("absent");
        let snap = rec.snapshot();
        let json = serde_json::to_string(&snap).expect("encode");
        assert!(json.contains("\"bin.dat\":\"AJ+Slv8K\""), "{json}");
        let back: Snapshot = serde_json::from_str(&json).expect("decode");
        assert_eq!(back, snap);
        let files: Vec<(&str, &[u8])> = back.files().collect();
        assert_eq!(files, [("a/b.txt", &b"text"[..]), ("bin.dat", bin)]);
        assert_eq!(back.dirs.get(".").map(Vec::len), Some(2));
        assert!(back.metadata.get("a").is_some_and(Metadata::is_dir));
        assert!(back.absent.contains("absent"));
        // Damaged snapshots are errors, not panics.
        let e = serde_json::from_str::<Snapshot>(r#"{"files":{"x":"not base64!"}}"#);
        assert!(e.is_err());
        assert_eq!(
            serde_json::from_str::<Snapshot>("{}").ok(),
            Some(Snapshot::default())
        );
    }
}
