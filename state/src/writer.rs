//! Write-back for the apply engine: one writer thread owns the state, takes per-resource updates
//! through a channel, coalesces them and persists (a local file at once after each burst of
//! updates; a remote store at most every [`Backend::persist_interval`], and at the end), bumping
//! the serial on every write. Senders never copy the state.

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::model::{module_string, Instance, OutputValue, ResourceMode, State};
use engine::addrs::ResourceInstance;
use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One change to the state.
#[derive(Debug, Clone)]
pub enum Update {
    /// A finished resource instance: insert or replace it. `provider` is used when the resource
    /// is new (`provider["registry.terraform.io/hashicorp/aws"]`).
    SetInstance {
        addr: ResourceInstance,
        provider: String,
        instance: Box<Instance>,
    },
    /// A destroyed instance (its current object; deposed objects stay).
    RemoveInstance(ResourceInstance),
    /// create_before_destroy: the current object of `addr` becomes deposed under `key`.
    Depose {
        addr: ResourceInstance,
        key: String,
    },
    /// A destroyed deposed object.
    RemoveDeposed {
        addr: ResourceInstance,
        key: String,
    },
    SetOutput {
        name: String,
        value: OutputValue,
    },
    RemoveOutput(String),
}

/// What the writer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Updates received.
    pub updates: u64,
    /// Writes to the backend (each one a full state document; a PUT for S3).
    pub puts: u64,
    /// The serial of the last write.
    pub serial: u64,
}

enum Msg {
    Update(Box<Update>),
    Flush(mpsc::SyncSender<Result<()>>),
    Finish,
}

/// A cloneable, `Send` handle for the tasks that report finished resources.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Msg>,
}

impl WriterHandle {
    /// Queues an update; returns at once.
    pub fn send(&self, u: Update) -> Result<()> {
        self.tx
            .send(Msg::Update(Box::new(u)))
            .map_err(|_| Error::Other("the state writer has stopped (see its error)".into()))
    }

    /// Persists everything queued so far, now, and waits for it.
    pub fn flush(&self) -> Result<()> {
        let (ack, rx) = mpsc::sync_channel(1);
        self.tx
            .send(Msg::Flush(ack))
            .map_err(|_| Error::Other("the state writer has stopped".into()))?;
        rx.recv()
            .map_err(|_| Error::Other("the state writer has stopped".into()))?
    }
}

/// The writer: owns the state on its own thread until [`StateWriter::finish`].
pub struct StateWriter {
    handle: WriterHandle,
    join: JoinHandle<(State, Result<WriteStats>)>,
}

type ResKey = (Option<String>, ResourceMode, String, String);

struct Inner {
    backend: Arc<dyn Backend>,
    workspace: String,
    state: State,
    index: HashMap<ResKey, usize>,
    has_empty: bool,
    stats: WriteStats,
}

impl Inner {
    fn reindex(&mut self) {
        self.state.resources.retain(|r| !r.instances.is_empty());
        self.index = self
            .state
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    (r.module.clone(), r.mode, r.type_.clone(), r.name.clone()),
                    i,
                )
            })
            .collect();
        self.has_empty = false;
    }

    fn key(addr: &ResourceInstance) -> ResKey {
        (
            module_string(&addr.module),
            addr.mode.into(),
            addr.type_.clone(),
            addr.name.clone(),
        )
    }

    fn apply(&mut self, u: Update) {
        self.stats.updates += 1;
        match u {
            Update::SetInstance {
                addr,
                provider,
                instance,
            } => {
                let mut instance = *instance;
                let k = Self::key(&addr);
                let ri = match self.index.get(&k) {
                    Some(&i) => i,
                    None => {
                        self.state.resources.push(crate::model::Resource {
                            module: k.0.clone(),
                            mode: k.1,
                            type_: k.2.clone(),
                            name: k.3.clone(),
                            provider: provider.clone(),
                            each: None,
                            instances: Vec::new(),
                        });
                        let i = self.state.resources.len() - 1;
                        self.index.insert(k, i);
                        i
                    }
                };
                let r = &mut self.state.resources[ri];
                // The newest write knows the provider configuration in use.
                r.provider = provider;
                let key_json = addr.key.as_ref().map(crate::model::key_to_json);
                match &addr.key {
                    Some(engine::addrs::InstanceKey::Int(_)) => r.each = Some("list".into()),
                    Some(engine::addrs::InstanceKey::Str(_)) => r.each = Some("map".into()),
                    None => {}
                }
                instance.index_key = key_json;
                match r
                    .instances
                    .iter()
                    .position(|i| i.index_key == instance.index_key && i.deposed.is_none())
                {
                    Some(ii) => r.instances[ii] = instance,
                    None => r.instances.push(instance),
                }
            }
            Update::RemoveInstance(addr) => {
                if let Some(&ri) = self.index.get(&Self::key(&addr)) {
                    let key_json = addr.key.as_ref().map(crate::model::key_to_json);
                    let r = &mut self.state.resources[ri];
                    r.instances
                        .retain(|i| i.index_key != key_json || i.deposed.is_some());
                    if r.instances.is_empty() {
                        self.has_empty = true;
                    }
                }
            }
            Update::Depose { addr, key } => {
                if let Some(&ri) = self.index.get(&Self::key(&addr)) {
                    let key_json = addr.key.as_ref().map(crate::model::key_to_json);
                    let r = &mut self.state.resources[ri];
                    if let Some(i) = r
                        .instances
                        .iter_mut()
                        .find(|i| i.index_key == key_json && i.deposed.is_none())
                    {
                        i.deposed = Some(key);
                    }
                }
            }
            Update::RemoveDeposed { addr, key } => {
                if let Some(&ri) = self.index.get(&Self::key(&addr)) {
                    let key_json = addr.key.as_ref().map(crate::model::key_to_json);
                    let r = &mut self.state.resources[ri];
                    r.instances.retain(|i| {
                        i.index_key != key_json || i.deposed.as_deref() != Some(key.as_str())
                    });
                    if r.instances.is_empty() {
                        self.has_empty = true;
                    }
                }
            }
            Update::SetOutput { name, value } => {
                self.state.outputs.insert(name, value);
            }
            Update::RemoveOutput(name) => {
                self.state.outputs.shift_remove(&name);
            }
        }
    }

    fn persist(&mut self) -> Result<()> {
        if self.has_empty {
            self.reindex();
        }
        self.state.serial += 1;
        self.backend.put(&self.workspace, &self.state)?;
        self.stats.puts += 1;
        self.stats.serial = self.state.serial;
        Ok(())
    }
}

impl StateWriter {
    /// Starts the writer for `workspace` with `state` (as read under the lock). `interval`
    /// overrides the backend's [`Backend::persist_interval`].
    pub fn spawn(
        backend: Arc<dyn Backend>,
        workspace: &str,
        state: State,
        interval: Option<Duration>,
    ) -> StateWriter {
        let interval = interval.unwrap_or_else(|| backend.persist_interval());
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut inner = Inner {
            backend,
            workspace: workspace.to_string(),
            state,
            index: HashMap::new(),
            has_empty: false,
            stats: WriteStats::default(),
        };
        inner.reindex();
        inner.stats.serial = inner.state.serial;
        let join = std::thread::Builder::new()
            .name("sakk-state-writer".into())
            .spawn(move || {
                let mut dirty = false;
                let mut last_put: Option<Instant> = None;
                let mut error: Option<Error> = None;
                let result = loop {
                    let wait = match (dirty, last_put) {
                        (true, Some(t)) => (t + interval).saturating_duration_since(Instant::now()),
                        (true, None) => Duration::ZERO,
                        (false, _) => Duration::from_secs(3600),
                    };
                    let msg = rx.recv_timeout(wait);
                    let mut finish = false;
                    let mut flushes = Vec::new();
                    let mut handle = |m: Msg, inner: &mut Inner, dirty: &mut bool| match m {
                        Msg::Update(u) => {
                            inner.apply(*u);
                            *dirty = true;
                            false
                        }
                        Msg::Flush(ack) => {
                            flushes.push(ack);
                            false
                        }
                        Msg::Finish => true,
                    };
                    match msg {
                        Ok(m) => finish |= handle(m, &mut inner, &mut dirty),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => finish = true,
                    }
                    // Coalesce whatever else is already queued.
                    while !finish {
                        match rx.try_recv() {
                            Ok(m) => finish |= handle(m, &mut inner, &mut dirty),
                            Err(mpsc::TryRecvError::Empty) => break,
                            Err(mpsc::TryRecvError::Disconnected) => finish = true,
                        }
                    }
                    let due = last_put.is_none_or(|t| t.elapsed() >= interval);
                    if dirty && (due || finish || !flushes.is_empty()) {
                        match inner.persist() {
                            Ok(()) => {
                                dirty = false;
                                last_put = Some(Instant::now());
                            }
                            Err(e) => {
                                // Keep the changes; report on flush/finish and retry later.
                                error = Some(e);
                                last_put = Some(Instant::now());
                            }
                        }
                    }
                    for ack in flushes {
                        let r = match (&error, dirty) {
                            (Some(e), true) => Err(Error::Other(e.to_string())),
                            _ => Ok(()),
                        };
                        let _ = ack.send(r);
                    }
                    if finish {
                        break match (error.take(), dirty) {
                            (Some(e), true) => Err(e),
                            _ => Ok(inner.stats.clone()),
                        };
                    }
                    if !dirty {
                        error = None;
                    }
                };
                (inner.state, result)
            });
        let join = match join {
            Ok(j) => j,
            Err(e) => {
                let msg = format!("cannot start the state writer thread: {e}");
                std::thread::spawn(move || (State::new(), Err(Error::Other(msg))))
            }
        };
        StateWriter {
            handle: WriterHandle { tx },
            join,
        }
    }

    pub fn handle(&self) -> WriterHandle {
        self.handle.clone()
    }

    /// Persists what is left and stops; returns the final state and what was written. On an
    /// error the state still holds every update (write it elsewhere, e.g. `errored.tfstate`).
    pub fn finish(self) -> (State, Result<WriteStats>) {
        let _ = self.handle.tx.send(Msg::Finish);
        drop(self.handle);
        match self.join.join() {
            Ok(r) => r,
            Err(_) => (
                State::new(),
                Err(Error::Other("the state writer panicked".into())),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::local::LocalBackend;
    use engine::addrs::{InstanceKey, ModuleInstance};
    use engine::config::Mode;

    pub fn instance(i: usize) -> Instance {
        Instance {
            index_key: None,
            status: None,
            deposed: None,
            schema_version: 0,
            attributes: serde_json::json!({"id": format!("i-{i}")}),
            sensitive_attributes: vec![],
            private: None,
            dependencies: vec![],
            create_before_destroy: false,
        }
    }

    #[test]
    fn updates_coalesce_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let b: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path(), None, None));
        let w = StateWriter::spawn(b.clone(), "default", State::new(), None);
        let h = w.handle();
        for i in 0..100 {
            let addr = ResourceInstance {
                module: ModuleInstance::default().child("m", None),
                mode: Mode::Managed,
                type_: "aws_s3_bucket".into(),
                name: "b".into(),
                key: Some(InstanceKey::Int(i)),
            };
            h.send(Update::SetInstance {
                addr,
                provider: "provider[\"x\"]".into(),
                instance: Box::new(instance(i as usize)),
            })
            .unwrap();
        }
        h.flush().unwrap();
        let on_disk = b.get("default").unwrap().unwrap();
        assert_eq!(on_disk.resources[0].instances.len(), 100);
        let addr = on_disk.resources[0].instance_addr(Some(&serde_json::json!(5)));
        h.send(Update::RemoveInstance(addr)).unwrap();
        let (st, stats) = w.finish();
        let stats = stats.unwrap();
        assert_eq!(stats.updates, 101);
        assert!(stats.puts >= 2 && stats.puts <= 101, "{stats:?}");
        assert_eq!(st.serial, stats.serial);
        assert_eq!(
            b.get("default").unwrap().unwrap().resources[0]
                .instances
                .len(),
            99
        );
    }

    #[test]
    fn deposing_keeps_the_old_object_beside_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let b: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path(), None, None));
        let w = StateWriter::spawn(b.clone(), "default", State::new(), None);
        let h = w.handle();
        let addr = ResourceInstance {
            module: ModuleInstance::default(),
            mode: Mode::Managed,
            type_: "aws_route53_zone".into(),
            name: "z".into(),
            key: None,
        };
        let set = |i: usize| Update::SetInstance {
            addr: addr.clone(),
            provider: "provider[\"x\"]".into(),
            instance: Box::new(instance(i)),
        };
        h.send(set(1)).unwrap();
        // Deposed and the new object's intent, one durable write.
        h.send(Update::Depose {
            addr: addr.clone(),
            key: "1a2b3c4d".into(),
        })
        .unwrap();
        h.send(set(2)).unwrap();
        h.flush().unwrap();
        let on_disk = b.get("default").unwrap().unwrap();
        let insts = &on_disk.resources[0].instances;
        assert_eq!(insts.len(), 2);
        assert_eq!(insts[0].deposed.as_deref(), Some("1a2b3c4d"));
        assert_eq!(insts[0].attributes, instance(1).attributes);
        assert_eq!(insts[1].deposed, None);
        assert_eq!(insts[1].attributes, instance(2).attributes);
        // A remove of the current object leaves the deposed one, and the other way round.
        h.send(Update::RemoveInstance(addr.clone())).unwrap();
        h.flush().unwrap();
        let on_disk = b.get("default").unwrap().unwrap();
        assert_eq!(on_disk.resources[0].instances.len(), 1);
        assert!(on_disk.resources[0].instances[0].deposed.is_some());
        h.send(set(3)).unwrap();
        h.send(Update::RemoveDeposed {
            addr: addr.clone(),
            key: "1a2b3c4d".into(),
        })
        .unwrap();
        let (st, _) = w.finish();
        assert_eq!(st.resources[0].instances.len(), 1);
        assert_eq!(st.resources[0].instances[0].deposed, None);
        assert_eq!(
            st.resources[0].instances[0].attributes,
            instance(3).attributes
        );
        let mut st = st;
        assert!(!st.remove_deposed(&addr, "1a2b3c4d"));
        assert!(st.remove_instance(&addr).is_some());
        assert!(st.resources.is_empty());
    }
}
